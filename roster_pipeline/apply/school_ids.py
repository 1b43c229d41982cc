"""Setting, changing and clearing a school's School ID, the key every district upload matches on.
Previewed first; applied under the tenant's lock as a run with a change log entry, so rollback undoes
it. No two schools of a tenant may share a School ID."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Connection, Engine, update

from roster_pipeline.apply.change_log import CHANGE_LOG
from roster_pipeline.apply.commit import PlanRefused
from roster_pipeline.apply.lock import lock_tenant
from roster_pipeline.apply.runs import COMMITTED, SCHOOL_IDS, new_run_id, record_run
from roster_pipeline.roster.bulk import insert_rows
from roster_pipeline.roster.models import School
from roster_pipeline.roster.snapshot import SNAPSHOT_TABLES, read_table
from roster_pipeline.roster.tenants import find_tenant
from roster_pipeline.schemas.vocabularies import ID_PATTERN

SCHOOLS = School.__table__


class SchoolIdRefused(PlanRefused):
    pass


@dataclass(frozen=True)
class SchoolIdChange:
    school_pk: int
    name: str
    old: str  # "" when the school had none
    new: str  # "" to clear

    def describe(self) -> str:
        return f"{self.name}: School ID {self.old or '(none)'} -> {self.new or '(none)'}"


def plan_school_id(connection: Connection, tenant_key: str, school: str, new_id: str) -> SchoolIdChange:
    """``school`` is the school's current School ID or its name; ``new_id`` "" clears it."""
    tenant = find_tenant(connection, tenant_key)
    schools = read_table(connection, SNAPSHOT_TABLES["schools"], tenant.id)
    found = schools[(schools["school_id"] == school) | (schools["name"] == school)]
    if len(found) != 1:
        raise SchoolIdRefused(f"{'no' if found.empty else 'more than one'} school {school!r} in {tenant_key}")
    row = found.iloc[0]
    if new_id and not re.fullmatch(ID_PATTERN, new_id):
        raise SchoolIdRefused(f"{new_id!r} is not a valid School ID (1-255 of 0-9 A-Z a-z . _ - / @ :)")
    if new_id == str(row["school_id"]):  # not a change: no run is recorded for it
        has = f"School ID {new_id}" if new_id else "no School ID"
        raise SchoolIdRefused(f"{row['name']} already has {has}: nothing to change")
    others = schools[(schools["id"] != row["id"]) & (schools["school_id"] == new_id)]
    if new_id and len(others):
        raise SchoolIdRefused(f"School ID {new_id} already belongs to {others['name'].iloc[0]}")
    return SchoolIdChange(int(row["id"]), str(row["name"]), str(row["school_id"]), new_id)


def set_school_id(engine: Engine, tenant_key: str, school: str, new_id: str) -> tuple[str, SchoolIdChange]:
    """Apply the change (checked again under the lock); returns the run id and the change."""
    with engine.begin() as connection:
        lock_tenant(connection, tenant_key)
        change = plan_school_id(connection, tenant_key, school, new_id)
        tenant = find_tenant(connection, tenant_key)
        connection.execute(
            update(SCHOOLS).where(SCHOOLS.c.id == change.school_pk).values(school_id=change.new or None)
        )
        run_id = new_run_id()
        record_run(connection, tenant, run_id, COMMITTED, kind=SCHOOL_IDS, message=change.describe())
        entry = {
            "run_id": run_id,
            "district_id": tenant.id,
            "entity": "schools",
            "key": f"#{change.school_pk}",
            "action": "UPDATED",
            "before": json.dumps({"id": change.school_pk, "school_id": change.old}),
            "after": json.dumps({"id": change.school_pk, "school_id": change.new}),
        }
        insert_rows(connection, CHANGE_LOG, pd.DataFrame([entry]))
    return run_id, change

"""Before a commit writes a plan: every existing row the plan names is the tenant's own.

A plan is built from one tenant's snapshot, so this holds by construction. The check makes it hold for
a plan read back from storage to be applied (a file that could have been edited, or mixed up with
another tenant's) and against bugs, because the writes themselves go by row id alone: updates, archives
and removals name rows by id, created rows name their school by id, created links their parents. One
counting query per table and 10,000 ids, small next to the writes.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Table, func, select

from roster_pipeline.matching.entities import ENTITIES
from roster_pipeline.plan.actions import CHANGING, CREATED
from roster_pipeline.plan.staged_plan import StagedPlan
from roster_pipeline.roster.models import School

CHUNK = 10_000
SCHOOLS = School.__table__


def foreign_rows(connection: Connection, district_id: int, plan: StagedPlan) -> dict[str, int]:
    """Per table, how many of the row ids the plan names are not the tenant's rows (empty: none)."""
    foreign = {}
    for table, ids in _named_ids(plan).items():
        owned = 0
        for start in range(0, len(ids), CHUNK):
            query = (
                select(func.count())
                .select_from(table)
                .where(
                    table.c.district_id == district_id, table.c.id.in_(ids[start : start + CHUNK].tolist())
                )
            )
            owned += connection.execute(query).scalar_one()
        if owned != len(ids):
            foreign[table.name] = len(ids) - owned
    return foreign


def _named_ids(plan: StagedPlan) -> dict[Table, np.ndarray]:
    named: dict[Table, list[pd.Series]] = {}
    for name, spec in ENTITIES.items():
        frame = plan.entities[name]
        changing = frame[frame["action"].isin(CHANGING)]
        created = changing["action"] == CREATED
        named.setdefault(spec.table, []).append(changing.loc[~created, "id"])
        if "school_pk" in spec.fields:
            named.setdefault(SCHOOLS, []).append(changing["school_pk"])
        for parent in spec.parents:  # a created link's parent: from the plan, or looked up when empty
            named.setdefault(ENTITIES[parent.entity].table, []).append(changing.loc[created, parent.column])
    return {
        table: np.unique(pd.concat(parts).dropna().astype("int64").to_numpy())
        for table, parts in named.items()
    }

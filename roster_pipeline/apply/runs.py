"""Import runs: each dry run, commit and rollback, with its status, counts and plan location."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime

import pandas as pd
from sqlalchemy import Connection, insert, select, update

from roster_pipeline.roster.models import ImportRun
from roster_pipeline.roster.tenants import Tenant

DRY_RUN = "DRY_RUN"
COMMITTED = "COMMITTED"
REJECTED = "REJECTED"
ROLLED_BACK = "ROLLED_BACK"
IMPORT, ROLLBACK = "import", "rollback"
ARCHIVE_STUDENTS, SCHOOL_IDS, CLASSROOM_IDS = "archive_students", "school_ids", "classroom_ids"
MERGE_STUDENTS = "merge_students"
# The kinds of run a rollback undoes.
UNDOABLE = (IMPORT, ARCHIVE_STUDENTS, SCHOOL_IDS, CLASSROOM_IDS, MERGE_STUDENTS)
RUNS = ImportRun.__table__


class UnknownRun(LookupError):
    pass


def new_run_id(now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    return f"run-{now:%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"


def record_run(
    connection: Connection,
    tenant: Tenant,
    run_id: str,
    status: str,
    *,
    kind: str = IMPORT,
    upload: str | None = None,
    fingerprint: str | None = None,
    plan_location: str | None = None,
    counts: dict | list | None = None,
    message: str = "",
    allow_large_changes: bool = False,
    rolls_back: str | None = None,
) -> None:
    now = datetime.now(UTC)
    connection.execute(
        insert(RUNS).values(
            id=run_id,
            district_id=tenant.id,
            tenant=tenant.key,
            kind=kind,
            upload=upload,
            status=status,
            allow_large_changes=allow_large_changes,
            fingerprint=fingerprint,
            plan_location=plan_location,
            counts=json.dumps(counts) if counts is not None else None,
            message=message,
            rolls_back=rolls_back,
            created_at=now,
            committed_at=now if status == COMMITTED else None,
        )
    )


def mark_run(
    connection: Connection, run_id: str, status: str, message: str | None = None, **values: object
) -> None:
    changes: dict[str, object] = {"status": status, **values}
    if message is not None:
        changes["message"] = message
    if status == COMMITTED:
        changes["committed_at"] = datetime.now(UTC)
    connection.execute(update(RUNS).where(RUNS.c.id == run_id).values(**changes))


def find_run(connection: Connection, run_id: str) -> dict:
    row = connection.execute(select(RUNS).where(RUNS.c.id == run_id)).mappings().first()
    if row is None:
        raise UnknownRun(f"no run {run_id!r}")
    return dict(row)


def list_runs(connection: Connection, tenant: str | None = None) -> pd.DataFrame:
    query = select(
        RUNS.c.id,
        RUNS.c.tenant,
        RUNS.c.kind,
        RUNS.c.status,
        RUNS.c.created_at,
        RUNS.c.committed_at,
        RUNS.c.upload,
        RUNS.c.counts,
        RUNS.c.message,
    ).order_by(RUNS.c.created_at, RUNS.c.id)
    if tenant:
        query = query.where(RUNS.c.tenant == tenant)
    rows = connection.execute(query).mappings().all()
    return pd.DataFrame([dict(row) for row in rows], columns=list(query.selected_columns.keys()))

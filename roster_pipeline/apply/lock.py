"""One commit per tenant at a time, held until the transaction ends.

PostgreSQL: a transaction-level advisory lock on the tenant. SQLite: a no-op write to the tenant's
row as the transaction's first statement, which takes the database's write lock (waiting for the
busy timeout) before anything is read, so the plan is checked against the latest commit.
Call it first in the transaction.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import Connection, text, update

from roster_pipeline.roster.database import is_postgresql
from roster_pipeline.roster.models import District


def tenant_lock_id(tenant: str) -> int:
    """A stable signed 64-bit number for the tenant (advisory locks are keyed by bigint)."""
    return int.from_bytes(hashlib.sha256(tenant.encode()).digest()[:8], "big", signed=True)


def lock_tenant(connection: Connection, tenant: str) -> None:
    if is_postgresql(connection):
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": tenant_lock_id(tenant)})
        return
    table = District.__table__
    connection.execute(update(table).where(table.c.tenant == tenant).values(tenant=table.c.tenant))

"""A fingerprint of a tenant's roster: if any of its rows changed, the fingerprint differs, and a plan
built on the old state is stale. PostgreSQL computes it in the database (no rows leave the server);
other databases hash the snapshot's frames."""

from __future__ import annotations

import hashlib

import pandas as pd
from sqlalchemy import Connection, Table, text


def frames_fingerprint(tenant: str, tables: dict[str, pd.DataFrame]) -> str:
    digest = hashlib.sha256(tenant.encode())
    for name, table in tables.items():
        digest.update(f"{name}:{len(table)}:{','.join(table.columns)}".encode())
        if len(table):
            hashes = pd.util.hash_pandas_object(table.astype("string"), index=False)
            digest.update(hashes.to_numpy().tobytes())
    return digest.hexdigest()


def database_fingerprint(
    connection: Connection, tenant: str, district_id: int, tables: dict[str, Table]
) -> str:
    """PostgreSQL: per table, the row count and the sum of a 64-bit hash of every whole row."""
    digest = hashlib.sha256(tenant.encode())
    for name, table in tables.items():
        query = text(
            "SELECT count(*), coalesce(sum(hashtextextended(t::text, 0)::numeric), 0) "
            f"FROM {table.name} AS t WHERE t.district_id = :district_id"  # our own table names
        )
        count, total = connection.execute(query, {"district_id": district_id}).one()
        digest.update(f"{name}:{count}:{total}".encode())
    return digest.hexdigest()

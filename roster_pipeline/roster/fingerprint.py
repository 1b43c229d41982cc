"""A fingerprint of a tenant's roster: if any of its rows changed, the fingerprint differs, and a plan
built on the old state is stale. PostgreSQL sums a hash of each row's version in the database (no rows
leave the server at apply time); other databases hash the snapshot's frames."""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Table, text

# PostgreSQL: a row's id and the transaction that last wrote it (xmin). Any insert, update or delete,
# by us or by anyone else, changes the set; hashing two integers costs a third of hashing whole rows.
ROW_HASH = "hashtextextended(t.id::text || ':' || t.xmin::text, 0)"


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
    """PostgreSQL: per table, the row count and the sum of ``ROW_HASH`` over the tenant's rows (the
    snapshot reads the same hashes alongside the rows, see snapshot.py)."""
    sums = {}
    for name, table in tables.items():
        query = text(
            f"SELECT count(*), coalesce(sum({ROW_HASH}::numeric), 0) "
            f"FROM {table.name} AS t WHERE t.district_id = :district_id"  # our own table names
        )
        count, total = connection.execute(query, {"district_id": district_id}).one()
        sums[name] = (int(count), int(total))
    return fingerprint_of_sums(tenant, sums)


def fingerprint_of_sums(tenant: str, sums: dict[str, tuple[int, int]]) -> str:
    digest = hashlib.sha256(tenant.encode())
    for name, (count, total) in sums.items():
        digest.update(f"{name}:{count}:{total}".encode())
    return digest.hexdigest()


def hash_sum(row_hashes: np.ndarray) -> int:
    """The exact sum of signed 64-bit hashes (numpy would overflow): high and low halves apart."""
    high = (row_hashes >> 32).sum(dtype=np.int64)
    low = (row_hashes & 0xFFFFFFFF).sum(dtype=np.int64)
    return int(high) * 2**32 + int(low)

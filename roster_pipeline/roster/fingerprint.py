"""A fingerprint of the roster state a plan was built on: if any row of the tenant changed since, the
plan is stale and must not be applied."""

from __future__ import annotations

import hashlib

import pandas as pd

from roster_pipeline.roster.snapshot import RosterSnapshot


def snapshot_fingerprint(snapshot: RosterSnapshot) -> str:
    digest = hashlib.sha256(snapshot.tenant.key.encode())
    for name, table in snapshot.tables().items():
        digest.update(f"{name}:{len(table)}:{','.join(table.columns)}".encode())
        if len(table):
            hashes = pd.util.hash_pandas_object(table.astype("string"), index=False)
            digest.update(hashes.to_numpy().tobytes())
    return digest.hexdigest()

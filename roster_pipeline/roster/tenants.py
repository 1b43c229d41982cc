"""Tenants: a district (`district-<id>`) or a standalone school (`school-<id>`), one row in districts."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, select

from roster_pipeline.roster.models import District

TENANT_PREFIXES = ("district-", "school-")


class UnknownTenant(LookupError):
    pass


@dataclass(frozen=True)
class Tenant:
    id: int
    key: str
    name: str
    scope: str


def check_tenant_key(key: str) -> str:
    if not key.startswith(TENANT_PREFIXES) or len(key) <= len("school-"):
        raise ValueError(f"tenant must look like district-<id> or school-<id>, not {key!r}")
    return key


def find_tenant(connection: Connection, key: str) -> Tenant:
    row = connection.execute(select(District.__table__).where(District.tenant == key)).first()
    if row is None:
        raise UnknownTenant(f"no tenant {key!r} in the roster (load it with `roster-pipeline db load`)")
    return Tenant(row.id, row.tenant, row.name, row.scope)

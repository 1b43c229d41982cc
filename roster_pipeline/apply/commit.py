"""Commit a staged plan: ONE transaction under the tenant's lock, refused if the roster changed since
the plan was built or if it exceeds its thresholds. Anything going wrong rolls the transaction back,
so the roster is either exactly as planned or exactly as before."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, Engine, Table, func, select

from roster_pipeline.apply.change_log import (
    CHANGE_LOG,
    change_log_rows,
    created_rows_entry,
    id_runs,
    json_column,
    json_where,
)
from roster_pipeline.apply.integrity import describe, ids_outside
from roster_pipeline.apply.lock import lock_tenant
from roster_pipeline.apply.ownership import foreign_rows
from roster_pipeline.apply.runs import COMMITTED, RUNS, find_run, mark_run, record_run
from roster_pipeline.matching.entities import ENTITIES, EntitySpec
from roster_pipeline.plan.actions import ARCHIVED, CHANGING, CREATED, REMOVED, UNARCHIVED, UPDATED
from roster_pipeline.plan.diff import OLD
from roster_pipeline.plan.staged_plan import StagedPlan, entity_key
from roster_pipeline.plan.thresholds import rejection_reason
from roster_pipeline.roster.bulk import copy_out, delete_rows, highest_id, insert_rows, update_rows
from roster_pipeline.roster.database import is_postgresql
from roster_pipeline.roster.models import School
from roster_pipeline.roster.snapshot import current_fingerprint
from roster_pipeline.roster.tenants import Tenant, find_tenant

SCHOOLS = School.__table__


class PlanRefused(Exception):
    """The plan was not applied; ``reason`` says why in the user's words, ``public_reason`` the same
    without personal values (for Dagster's logs, which every user of the UI reads)."""

    def __init__(self, reason: str, public_reason: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.public_reason = reason if public_reason is None else public_reason


class StalePlan(PlanRefused):
    pass


class ThresholdExceeded(PlanRefused):
    pass


def apply_plan(
    engine: Engine,
    plan: StagedPlan,
    run_id: str,
    *,
    allow_large_changes: bool = False,
    upload: str | None = None,
    plan_location: str | None = None,
) -> dict[str, dict[str, int]]:
    """Commit ``plan`` as run ``run_id`` (an existing dry-run record, or a new one); returns the
    applied counts per entity and action."""
    if len(plan.exceeded) and not allow_large_changes:
        raise ThresholdExceeded(rejection_reason(plan.exceeded))
    with engine.begin() as connection:
        lock_tenant(connection, plan.tenant)
        tenant = find_tenant(connection, plan.tenant)
        if current_fingerprint(connection, tenant) != plan.fingerprint:
            raise StalePlan(
                "stale plan: the roster changed since this plan was made; re-run the dry run"
                + _last_commit(connection, tenant)
            )
        foreign = foreign_rows(connection, tenant.id, plan)
        if foreign:
            named = ", ".join(f"{count} {table}" for table, count in foreign.items())
            raise PlanRefused(
                f"the plan names rows that are not {tenant.key}'s ({named}); nothing was applied"
            )
        counts = applied_counts(plan)
        _record_commit(connection, tenant, plan, run_id, counts, allow_large_changes, upload, plan_location)
        write_plan(connection, tenant, plan, run_id, datetime.now(UTC))
    return counts


def _last_commit(connection: Connection, tenant: Tenant) -> str:
    """Which run changed the roster last, so a refused plan names the import it raced with."""
    query = (
        select(RUNS.c.id, RUNS.c.committed_at)
        .where(RUNS.c.district_id == tenant.id, RUNS.c.status == COMMITTED)
        .order_by(RUNS.c.committed_at.desc())
        .limit(1)
    )
    last = connection.execute(query).first()
    return f" (last change: run {last.id} committed at {last.committed_at:%Y-%m-%d %H:%M:%S})" if last else ""


def applied_counts(plan: StagedPlan) -> dict[str, dict[str, int]]:
    return {
        name: {action: int(n) for action, n in frame["action"].value_counts().items() if action in CHANGING}
        for name, frame in plan.entities.items()
    }


def _record_commit(
    connection: Connection,
    tenant: Tenant,
    plan: StagedPlan,
    run_id: str,
    counts: dict,
    allow_large_changes: bool,
    upload: str | None,
    plan_location: str | None,
) -> None:
    message = "applied" + (" with large changes allowed" if len(plan.exceeded) else "")
    try:
        find_run(connection, run_id)
    except LookupError:
        record_run(
            connection,
            tenant,
            run_id,
            COMMITTED,
            upload=upload,
            fingerprint=plan.fingerprint,
            plan_location=plan_location,
            counts=counts,
            message=message,
            allow_large_changes=allow_large_changes,
        )
        return
    mark_run(connection, run_id, COMMITTED, message, allow_large_changes=allow_large_changes)


def write_plan(connection: Connection, tenant: Tenant, plan: StagedPlan, run_id: str, now: datetime) -> None:
    """Records first (parents), then links, then the change log, each as bulk statements. The ids
    each is about to write are checked against the tenant's own rows first (what foreign keys would
    check, and the tenant too): the writes go by id alone."""
    records = {name: spec for name, spec in ENTITIES.items() if spec.is_record}
    schools = _school_ids(connection, tenant.id)
    _refuse_strays(
        tenant,
        (
            (f"{spec.table.name}.school_pk", _written(plan.entities[name], "school_pk"), schools)
            for name, spec in records.items()
            if "school_pk" in spec.fields
        ),
    )
    log, ids = [], {}
    for name, spec in records.items():
        entries, ids[name] = _write_records(connection, tenant, spec, plan.entities[name], run_id, now)
        log.append(entries)
    links = {
        name: _with_parent_ids(connection, tenant, spec, plan.entities[name], ids)
        for name, spec in ENTITIES.items()
        if not spec.is_record
    }
    _refuse_strays(
        tenant,
        (
            (
                f"{ENTITIES[name].table.name}.{parent.column}",
                _written(frame, parent.column),
                ids[parent.entity].pairs["id"],
            )
            for name, frame in links.items()
            for parent in ENTITIES[name].parents
        ),
    )
    for name, frame in links.items():
        log.append(_write_links(connection, tenant, ENTITIES[name], frame, run_id))
    insert_rows(connection, CHANGE_LOG, pd.concat(log, ignore_index=True))


def _school_ids(connection: Connection, district_id: int) -> pa.Array:
    query = select(SCHOOLS.c.id).where(SCHOOLS.c.district_id == district_id)
    return pa.array(connection.execute(query).scalars().all(), pa.int64())


def _written(plan: pd.DataFrame, column: str) -> pd.Series:
    """The values ``column`` takes in the rows a commit inserts or updates."""
    return plan.loc[plan["action"].isin([CREATED, UPDATED, UNARCHIVED]), column]


def _refuse_strays(tenant: Tenant, references: Iterable[tuple[str, pd.Series, pa.Array]]) -> None:
    """Refuse the plan if any (``table.column``, ids about to be written, the tenant's ids) names a
    row that is not the tenant's."""
    dangling = {}
    for name, written, owned in references:
        if count := ids_outside(written, owned):
            dangling[name] = dangling.get(name, 0) + count
    if dangling:
        raise PlanRefused(
            f"the plan would point rows at records that are not {tenant.key}'s ({describe(dangling)}); "
            "nothing was applied"
        )


def _write_records(
    connection: Connection, tenant: Tenant, spec: EntitySpec, plan: pd.DataFrame, run_id: str, now: datetime
) -> tuple[pd.DataFrame, RecordIds]:
    """Returns the change log entries and the records' ids after the writes."""
    table, fields = spec.table, list(spec.fields)
    action = plan["action"]
    new_keys = plan.loc[action == CREATED, "key"]
    mark = highest_id(connection, table)
    insert_rows(connection, table, plan.loc[action == CREATED, fields].assign(district_id=tenant.id))
    new_runs, _ = _ids_above(connection, table, tenant.id, mark, len(new_keys))
    changed = plan[action.isin([UPDATED, UNARCHIVED])]
    update_rows(connection, table, changed[["id", *fields]].assign(archived_at=None))
    update_rows(connection, table, plan.loc[action == ARCHIVED, ["id"]].assign(archived_at=now))

    ids = _record_ids(connection, table, tenant.id, plan, new_keys, new_runs)
    logged = plan[action.isin(CHANGING)]
    record_ids = logged["id"].fillna(_lookup(ids.pairs, logged["key"]))
    created = (logged["action"] == CREATED).to_numpy()
    changed, changed_ids = logged[~created], record_ids[~created]
    before = changed[[OLD + name for name in (*fields, "archived_at")]].rename(
        columns=lambda c: c[len(OLD) :]
    )
    before.insert(0, "id", changed_ids)
    after = changed[fields].assign(archived_at=None)
    after.loc[changed["action"] == ARCHIVED, "archived_at"] = now.isoformat()
    after.insert(0, "id", changed_ids)
    # A record made by hand has no SIS ID: the log names it by its roster id.
    keys = changed["key"].where(changed["key"] != "", "#" + changed_ids.astype(str))
    entries = [
        change_log_rows(
            run_id,
            tenant.id,
            spec.name,
            keys,
            changed["action"],
            json_column(before).to_numpy(),
            json_column(after).to_numpy(),
        )
    ]
    if len(new_keys):  # undone by their ids; what they hold is in the run's saved plan
        entries.append(created_rows_entry(run_id, tenant.id, spec.name, new_runs, len(new_keys)))
    return pd.concat(entries, ignore_index=True), ids


@dataclass(frozen=True)
class RecordIds:
    """A record table's ids after the commit wrote it, as ``pairs`` of ``sis_id`` (null for a record
    made by hand) and ``id``: every row of the tenant's as read back (``read_back``), or the rows the
    plan names alone (their ids checked by ``foreign_rows``, the created ones known from their order)."""

    pairs: pa.Table
    read_back: bool


def _record_ids(
    connection: Connection,
    table: Table,
    district_id: int,
    plan: pd.DataFrame,
    new_keys: pd.Series,
    new_runs: list[list[int]],
) -> RecordIds:
    """Rows inserted by one COPY (or executemany) take their ids in the order they were sent: when
    they hold one run of ids (no other tenant inserted at the same moment) and its ends hold the first
    and last key sent, the created rows' ids need no reading back (2 s of a million students' commit)."""
    new_ids = np.array([], dtype="int64")
    if len(new_runs) == 1:
        first, last = new_runs[0]
        ends = connection.execute(select(table.c.id, table.c.sis_id).where(table.c.id.in_([first, last])))
        if dict(ends.all()) == {first: new_keys.iloc[0], last: new_keys.iloc[-1]}:
            new_ids = np.arange(first, last + 1)
    if len(new_ids) != len(new_keys):
        return RecordIds(_ids_by_key(connection, table, district_id), read_back=True)
    named = plan[plan["id"].notna()]
    keys = pd.concat([named["key"], new_keys], ignore_index=True)
    pairs = pa.table(
        {
            "sis_id": pa.array(keys.where(keys != ""), pa.string(), from_pandas=True),
            "id": pa.array(np.r_[named["id"].to_numpy("int64"), new_ids]),
        }
    )
    return RecordIds(pairs, read_back=False)


def _with_parent_ids(
    connection: Connection, tenant: Tenant, spec: EntitySpec, plan: pd.DataFrame, ids: dict[str, RecordIds]
) -> pd.DataFrame:
    """A link plan's changing rows, each created link given its parents' ids (the plan has them
    only for links that exist). A parent's ids are read back when the plan's own records do not
    name every parent (an upload of enrollments alone)."""
    plan = plan[plan["action"].isin(CHANGING)].copy()
    for parent in spec.parents:
        known, keys = ids[parent.entity], plan.loc[plan[parent.column].isna(), parent.key]
        found = _lookup(known.pairs, keys)
        # Known pairs that miss a key looked up, or an id the plan already has, are not every parent.
        if not known.read_back and (
            (found.isna() & keys.notna()).any() or ids_outside(plan[parent.column], known.pairs["id"])
        ):
            table = ENTITIES[parent.entity].table
            known = ids[parent.entity] = RecordIds(_ids_by_key(connection, table, tenant.id), read_back=True)
            found = _lookup(known.pairs, keys)
        plan[parent.column] = plan[parent.column].fillna(found)
    return plan


def _write_links(
    connection: Connection, tenant: Tenant, spec: EntitySpec, plan: pd.DataFrame, run_id: str
) -> pd.DataFrame:
    table, fields = spec.table, list(spec.fields)
    natural = [parent.column for parent in spec.parents] + list(spec.extra_keys)
    action = plan["action"]
    created = (action == CREATED).to_numpy()
    mark = highest_id(connection, table)
    insert_rows(connection, table, plan.loc[created, [*natural, *fields]].assign(district_id=tenant.id))
    new_runs, new_count = _ids_above(connection, table, tenant.id, mark, int(created.sum()))
    update_rows(connection, table, plan.loc[action == UPDATED, ["id", *fields]])
    delete_rows(connection, table, plan.loc[action == REMOVED, "id"])

    changed = plan[~created]
    before = changed[["id", *natural, *(OLD + name for name in fields)]].rename(
        columns=lambda c: c.removeprefix(OLD)
    )
    entries = [
        change_log_rows(
            run_id,
            tenant.id,
            spec.name,
            entity_key(changed, spec.keys),
            changed["action"],
            json_column(before).to_numpy(),
            json_where(changed[["id", *natural, *fields]], (changed["action"] != REMOVED).to_numpy()),
        )
    ]
    if new_count:  # undone by their ids; what they hold is in the run's saved plan
        entries.append(created_rows_entry(run_id, tenant.id, spec.name, new_runs, new_count))
    return pd.concat(entries, ignore_index=True)


def _ids_above(
    connection: Connection, table: Table, district_id: int, mark: int, inserted: int
) -> tuple[list[list[int]], int]:
    """The ids of the ``inserted`` rows this transaction just added above ``mark`` (no one else writes
    the tenant's rows while it holds the lock) as runs, and how many there are. Usually one run, known
    from the lowest and highest id above the mark alone; another tenant's insert at the same moment
    interleaves its ids with ours, and then the tenant's ids are read."""
    if inserted == 0:
        return [], 0
    first, last = connection.execute(
        select(func.min(table.c.id), func.max(table.c.id)).where(table.c.id > mark)
    ).one()
    if last - first + 1 == inserted:
        return [[first, last]], inserted
    mine = (table.c.district_id == district_id) & (table.c.id > mark)
    ids = np.array(connection.execute(select(table.c.id).where(mine)).scalars().all(), dtype="int64")
    return id_runs(ids), len(ids)


def _ids_by_key(connection: Connection, table: Table, district_id: int) -> pa.Table:
    """The tenant's rows as the transaction sees them after the writes: each one's ``sis_id`` (null
    for a record made by hand) and ``id``."""
    if is_postgresql(connection):
        query = f"SELECT sis_id, id FROM {table.name} WHERE district_id = {int(district_id)}"  # our names
        return copy_out(connection, query, {"sis_id": pa.string(), "id": pa.int64()})
    query = select(table.c.sis_id, table.c.id).where(table.c.district_id == district_id)
    rows = connection.execute(query).fetchall()
    keys, values = (list(column) for column in zip(*rows, strict=True)) if rows else ([], [])
    return pa.table({"sis_id": pa.array(keys, pa.string()), "id": pa.array(values, pa.int64())})


def _lookup(ids: pa.Table, keys: pd.Series) -> pd.Series:
    """Each key's roster id (<NA> for a key the roster does not hold), by one Arrow hash lookup."""
    positions = pc.index_in(
        pa.array(keys, pa.string(), from_pandas=True), value_set=ids["sis_id"], skip_nulls=True
    )
    found = ids["id"].take(positions)
    values = pc.fill_null(found, 0).to_numpy()
    missing = pc.is_null(found).to_numpy(zero_copy_only=False)
    return pd.Series(pd.arrays.IntegerArray(values, missing), index=keys.index)

"""Roll back a committed run from its change log: links first, then records, restoring the values
each row had before (ids, fields and archive state). Refused if a later committed run changed any of
the same rows, unless forced; done in one transaction under the tenant's lock, and itself a run."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, Table, select

from roster_pipeline.apply.change_log import (
    CHANGE_LOG,
    CREATED_ROWS_KEY,
    created_ids,
    id_runs,
    parse_json_column,
    read_change_log,
)
from roster_pipeline.apply.commit import PlanRefused
from roster_pipeline.apply.integrity import dangling_references, describe
from roster_pipeline.apply.lock import lock_tenant
from roster_pipeline.apply.naming import SHOWN, listed, name_changes
from roster_pipeline.apply.runs import (
    COMMITTED,
    ROLLBACK,
    ROLLED_BACK,
    RUNS,
    UNDOABLE,
    find_run,
    mark_run,
    new_run_id,
    record_run,
)
from roster_pipeline.matching.entities import ENTITIES, EntitySpec
from roster_pipeline.plan.actions import CREATED, REMOVED
from roster_pipeline.roster.bulk import delete_id_runs, delete_rows, insert_rows, update_rows
from roster_pipeline.roster.models import School
from roster_pipeline.roster.snapshot import read_table
from roster_pipeline.roster.tenants import find_tenant

ROLLED_BACK_ACTION = "ROLLED_BACK"


class RollbackRefused(PlanRefused):
    pass


def rollback_run(engine: Engine, run_id: str, *, force: bool = False) -> tuple[str, dict[str, int]]:
    """Returns the rollback's own run id and the number of rows restored per entity."""
    with engine.begin() as connection:
        tenant_key = _tenant_of(engine, run_id)
        lock_tenant(connection, tenant_key)
        tenant = find_tenant(connection, tenant_key)
        run = find_run(connection, run_id)
        if run["status"] != COMMITTED or run["kind"] not in UNDOABLE:
            raise RollbackRefused(
                f"run {run_id} is {run['status']} ({run['kind']}): "
                "only committed imports and archives roll back"
            )
        log = read_change_log(connection, [run_id])
        later = _later_log(connection, run)
        replaced = pd.concat(
            [
                _replaced_rows(connection, spec, log[log["entity"] == spec.name], tenant.id)
                for spec in ENTITIES.values()
            ]
        )
        conflicts = pd.concat(
            [_conflicts(log, later), log.loc[replaced[replaced].index, ["entity", "key"]]], ignore_index=True
        ).drop_duplicates(ignore_index=True)
        if len(conflicts) and not force:
            named = name_changes(connection, tenant.id, conflicts.head(SHOWN), pd.concat([log, later]))
            raise _refusal(
                _rows(len(conflicts)) + " changed again by later runs ({names}); "
                "roll those back first, or use --force",
                named,
                len(conflicts),
            )
        log = log[~replaced.reindex(log.index, fill_value=False)]  # forced: those rows are left alone
        restored = {}
        for name in reversed(ENTITIES):
            entries = log[log["entity"] == name]
            if len(entries):
                spec = ENTITIES[name]
                spared = created_ids(later[later["entity"].isin(_sharing_table(spec))])
                restored[name] = _undo(connection, spec, entries, tenant.id, spared, force)
        school_entries = log[log["entity"] == "schools"]
        if len(school_entries):  # School IDs set by hand: put the old ones back
            before = parse_json_column(school_entries["before"])
            update_rows(connection, School.__table__, before[["id", "school_id"]])
            restored["schools"] = len(school_entries)
        dangling = dangling_references(connection, tenant.id)
        if dangling:
            raise RollbackRefused(
                f"rolling back {run_id} would leave links to records it removes ({describe(dangling)}), "
                "made by later runs; roll those back first"
            )
        rollback_id = new_run_id()
        record_run(
            connection,
            tenant,
            rollback_id,
            COMMITTED,
            kind=ROLLBACK,
            counts=restored,
            rolls_back=run_id,
            message=f"rolled back {run_id}",
        )
        undo_log = log.assign(
            run_id=rollback_id, action=ROLLED_BACK_ACTION, before=log["after"], after=log["before"]
        )
        insert_rows(connection, CHANGE_LOG, undo_log.drop(columns="id"))
        mark_run(connection, run_id, ROLLED_BACK, f"rolled back by {rollback_id}")
    return rollback_id, restored


def _refusal(text: str, named: pd.DataFrame, total: int) -> RollbackRefused:
    """``text`` naming the rows (``{names}``) in full for the tenant's people, and in its public
    reason without personal values (see ``naming``)."""
    return RollbackRefused(
        text.format(names=listed(named["name"], total)), text.format(names=listed(named["public"], total))
    )


def _rows(count: int) -> str:
    return "1 row was" if count == 1 else f"{count} rows were"


def _links_removed(count: int) -> str:
    return "1 link this run removed was" if count == 1 else f"{count} links this run removed were"


def _tenant_of(engine: Engine, run_id: str) -> str:
    with engine.connect() as connection:
        return find_run(connection, run_id)["tenant"]


def _later_log(connection: Connection, run: dict) -> pd.DataFrame:
    """The change log of the tenant's runs committed after ``run`` (and not rolled back)."""
    later = (
        connection.execute(
            select(RUNS.c.id).where(
                RUNS.c.district_id == run["district_id"],
                RUNS.c.status == COMMITTED,
                RUNS.c.kind.in_(UNDOABLE),
                RUNS.c.committed_at > run["committed_at"],
            )
        )
        .scalars()
        .all()
    )
    if not later:
        return pd.DataFrame(columns=[column.name for column in CHANGE_LOG.columns])
    return read_change_log(connection, list(later))


def _conflicts(log: pd.DataFrame, later: pd.DataFrame) -> pd.DataFrame:
    """(entity, key) of this run's changes that later runs changed again: the same record or link by
    key, or a row this run created (named by id) that a later run changed or removed."""
    per_row = later[later["key"] != CREATED_ROWS_KEY]
    touched = per_row[["entity", "key"]].drop_duplicates()
    found = [log[["entity", "key"]].merge(touched, on=["entity", "key"])]
    later_ids = parse_json_column(per_row["before"]).get("id", pd.Series(dtype="Int64"))
    for spec in ENTITIES.values():
        mine = created_ids(log[log["entity"] == spec.name])
        if len(mine) == 0:
            continue
        sharing = _sharing_table(spec)
        theirs = later_ids[per_row.loc[later_ids.index, "entity"].isin(sharing)].dropna().astype("int64")
        again = np.intersect1d(
            mine, np.r_[theirs.to_numpy(), created_ids(later[later["entity"].isin(sharing)])]
        )
        found.append(
            pd.DataFrame({"entity": spec.name, "key": "#" + pd.Series(again, dtype="int64").astype(str)})
        )
    return pd.concat(found, ignore_index=True)


def _replaced_rows(
    connection: Connection, spec: EntitySpec, entries: pd.DataFrame, district_id: int
) -> pd.Series:
    """True for each row this run changed whose id no longer holds it, and for each link it removed
    whose parents' ids no longer hold the records it linked: deleted since (a forced rollback of an
    earlier run), or given to another row (SQLite hands a freed id out again). Restoring them by id
    would overwrite that other row, or link someone else."""
    replaced = pd.Series(False, index=entries.index)
    changed = entries[~entries["action"].isin([CREATED, REMOVED])]
    if len(changed):
        before = parse_json_column(changed["before"])
        if spec.is_record:
            held = _sis_ids(connection, spec.table, district_id, before["id"], changed.index)
            named_by_id = changed["key"].str.startswith("#")  # a record made by hand
            same = held.notna() & (named_by_id | (held == changed["key"]).fillna(False))
        else:
            natural = [parent.column for parent in spec.parents] + list(spec.extra_keys)
            current = read_table(connection, spec.table, district_id).set_index("id")
            held = current[natural].reindex(before["id"].to_numpy())
            same = pd.Series((held.to_numpy() == before[natural].to_numpy()).all(axis=1), index=changed.index)
        replaced[changed.index] = ~same.to_numpy(dtype=bool)
    removed = entries[entries["action"] == REMOVED]
    if len(removed):
        before = parse_json_column(removed["before"])
        parent_keys = removed["key"].str.split("|")  # the parents' SIS IDs, as entity_key joined them
        for position, parent in enumerate(spec.parents):
            table = ENTITIES[parent.entity].table
            held = _sis_ids(connection, table, district_id, before[parent.column], removed.index)
            wanted = parent_keys.str[position]
            gone = held.isna() | ((wanted != "") & (held != wanted)).fillna(True)
            replaced[removed.index] |= gone.to_numpy(dtype=bool)
    return replaced


def _sis_ids(
    connection: Connection, table: Table, district_id: int, ids: pd.Series, index: pd.Index
) -> pd.Series:
    """The SIS ID each of ``ids`` holds now (missing: no such row of the tenant's), by ``index``."""
    current = read_table(connection, table, district_id).set_index("id")["sis_id"]
    return pd.Series(current.reindex(ids.to_numpy()).to_numpy(), index=index)


def _sharing_table(spec: EntitySpec) -> list[str]:
    """The entities stored in ``spec``'s table (students' and staff's enrollments share one)."""
    return [name for name, other in ENTITIES.items() if other.table is spec.table]


def _undo(
    connection: Connection,
    spec: EntitySpec,
    entries: pd.DataFrame,
    district_id: int,
    spared: np.ndarray,
    force: bool,
) -> int:
    """Undo one entity's entries; returns how many rows were restored. ``spared``: ids later runs
    created in the same table (SQLite gives a freed id out again), never deleted here."""
    table = spec.table
    created = entries["action"] == CREATED
    in_runs = created & (entries["key"] == CREATED_ROWS_KEY)
    new_ids = np.setdiff1d(created_ids(entries[in_runs]), spared)
    delete_id_runs(connection, table, district_id, id_runs(new_ids))
    restored = len(new_ids)
    before = parse_json_column(entries.loc[~created, "before"])
    after = parse_json_column(entries.loc[created & ~in_runs, "after"])  # logs written one row per create
    restored += len(before) + len(after)
    if spec.is_record:
        delete_rows(connection, table, after.get("id", pd.Series(dtype="Int64")))
        if len(before):
            before["archived_at"] = pd.to_datetime(
                before["archived_at"].replace("", None), utc=True, format="ISO8601"
            )
            update_rows(connection, table, before)
        return restored
    natural = [parent.column for parent in spec.parents] + list(spec.extra_keys)
    if len(after):
        current = read_table(connection, table, district_id)
        delete_rows(
            connection, table, after.merge(current[["id", *natural]], on=natural, suffixes=("_x", ""))["id"]
        )
    if before.empty:
        return restored
    removed = entries.loc[~created, "action"] == REMOVED
    updated = before[~removed.to_numpy()]
    update_rows(connection, table, updated[["id", *spec.fields]])
    reinserted = before[removed.to_numpy()].assign(district_id=district_id)  # under their old ids
    if reinserted.empty:
        return restored
    present = read_table(connection, table, district_id)[natural].drop_duplicates()
    again = reinserted[natural].merge(present, on=natural, how="left", indicator=True)["_merge"] == "both"
    if again.any():
        if not force:
            made_again = entries.loc[reinserted.index[again.to_numpy()], ["entity", "key"]]
            named = name_changes(connection, district_id, made_again.head(SHOWN), entries)
            raise _refusal(
                _links_removed(len(made_again)) + " made again since ({names}); "
                "roll back what made them first, or use --force (the newer ones are kept)",
                named,
                len(made_again),
            )
        reinserted = reinserted[~again.to_numpy()]
    insert_rows(connection, table, reinserted)
    return restored

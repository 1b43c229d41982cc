"""Merging duplicated students: an upload created a student (with its SIS ID) who is the same child
as a student made by hand. The SIS student survives and keeps its SIS ID; the hand-made one's
enrollments, guardian links and attributes move to it (a union: what the survivor already has stays,
nothing is lost) and the hand-made student is archived. One staged plan: previewed, applied like an
import, undone by rollback."""

from __future__ import annotations

import pandas as pd

from roster_pipeline.frames import STRING
from roster_pipeline.matching.entities import ENTITIES, STUDENTS
from roster_pipeline.matching.existing import existing_links, existing_records
from roster_pipeline.plan.actions import ARCHIVED, CREATED, REMOVED
from roster_pipeline.plan.diff import OLD
from roster_pipeline.plan.staged_plan import StagedPlan, operation_plan, record_plan_rows
from roster_pipeline.roster.snapshot import RosterSnapshot

MOVED = ("student_enrollments", "guardian_links", "student_attributes")


class MergeRefused(ValueError):
    pass


def merge_plan(snapshot: RosterSnapshot, pairs: pd.DataFrame) -> StagedPlan:
    """``pairs``: ``student_key`` (the surviving SIS student) and ``existing_id`` (the duplicate made
    by hand), e.g. the reviewed rows of a plan's merge candidates."""
    records = existing_records(snapshot, set())
    students = records["students"]
    pairs = pairs.astype({"student_key": "string", "existing_id": "int64"})
    survivors = students[students["key"] != ""].set_index("key")["id"]
    duplicates = students[(students["key"] == "") & ~students["archived"]]
    _check(pairs, survivors, duplicates)
    survivor_of = pd.Series(
        survivors.reindex(pairs["student_key"]).astype("int64").to_numpy(),
        index=pairs["existing_id"].to_numpy(),
    )
    rows = {
        "students": record_plan_rows(
            duplicates[duplicates["id"].isin(survivor_of.index)], ARCHIVED, STUDENTS.fields
        )
    }
    links = existing_links(snapshot, records)
    for name in MOVED:
        rows[name] = _moved_links(
            name, links[name], survivor_of, pd.Series(survivors.index, index=survivors.to_numpy())
        )
    return operation_plan(snapshot.tenant.key, snapshot.fingerprint, rows)


def _check(pairs: pd.DataFrame, survivors: pd.Series, duplicates: pd.DataFrame) -> None:
    unknown = sorted(set(pairs["student_key"]) - set(survivors.index))
    if unknown:
        raise MergeRefused(f"no student with SIS ID {', '.join(unknown)}")
    not_duplicates = sorted(set(pairs["existing_id"]) - set(duplicates["id"].astype(int)))
    if not_duplicates:
        raise MergeRefused(f"students {not_duplicates} are not active students without an SIS ID")
    if pairs["existing_id"].duplicated().any():
        raise MergeRefused("a student made by hand can be merged into one student only")


def _moved_links(
    name: str, links: pd.DataFrame, survivor_of: pd.Series, survivor_keys: pd.Series
) -> pd.DataFrame:
    """The duplicate's links REMOVED, and CREATED for the survivor unless it already has them."""
    spec = ENTITIES[name]
    student = next(parent for parent in spec.parents if parent.entity == "students")
    others = [parent.column for parent in spec.parents if parent is not student] + list(spec.extra_keys)
    leaving = links[links[student.column].isin(survivor_of.index)]
    arriving = leaving.assign(**{student.column: survivor_of.reindex(leaving[student.column]).to_numpy()})
    keys = [student.column, *others]
    held = links[keys].astype({student.column: "Int64"}).drop_duplicates()
    arriving = arriving.astype({student.column: "Int64"})
    arriving = arriving.merge(held, on=keys, how="left", indicator=True)
    arriving = arriving[arriving["_merge"] == "left_only"].drop(columns="_merge")
    arriving[student.key] = survivor_keys.reindex(arriving[student.column].astype("int64")).to_numpy()

    removed = leaving.assign(action=REMOVED)
    created = arriving.assign(action=CREATED, id=pd.NA)
    plan = pd.concat([removed, created], ignore_index=True)
    for field in spec.fields:
        plan[OLD + field] = plan[field].where(plan["action"] == REMOVED)
    plan["changed"] = ""
    plan["file"] = pd.Series(pd.NA, index=plan.index, dtype=STRING)
    plan["line"] = pd.Series(pd.NA, index=plan.index, dtype="Int64")
    columns = ["action", *spec.keys, "id", *(p.column for p in spec.parents), *spec.fields]
    columns += [OLD + field for field in spec.fields] + ["changed", "file", "line"]
    plan[[p.column for p in spec.parents]] = plan[[p.column for p in spec.parents]].astype("Int64")
    plan["id"] = plan["id"].astype("Int64")
    return plan[columns]

"""Archiving a school's or district's existing students before its first upload (the advice every
rostering product gives), as a staged plan: previewed like a dry run, applied under the same lock with
the same change log, and undone by rollback. Students made by hand are included: they are what the
advice is about."""

from __future__ import annotations

import pandas as pd

from roster_pipeline.matching.duplicates import CANDIDATE_COLUMNS
from roster_pipeline.matching.entities import ENTITIES, STUDENTS
from roster_pipeline.matching.existing import existing_records
from roster_pipeline.plan.actions import ARCHIVED
from roster_pipeline.plan.diff import OLD
from roster_pipeline.plan.rekeys import find_rekeys
from roster_pipeline.plan.staged_plan import StagedPlan
from roster_pipeline.plan.thresholds import Threshold, ThresholdSettings, check_thresholds
from roster_pipeline.roster.snapshot import RosterSnapshot


class UnknownSchools(ValueError):
    pass


def archive_students_plan(snapshot: RosterSnapshot, school_ids: list[str] | None = None) -> StagedPlan:
    """Every active student of the named schools (by School ID; all the tenant's schools if none)."""
    schools = snapshot.schools
    if school_ids:
        unknown = sorted(set(school_ids) - set(schools["school_id"]))
        if unknown:
            raise UnknownSchools(f"no school with School ID {', '.join(unknown)} in {snapshot.tenant.key}")
        chosen = set(schools.loc[schools["school_id"].isin(school_ids), "id"].astype(int))
    else:
        chosen = set(schools["id"].astype(int))
    records = existing_records(snapshot, chosen)
    students = records["students"]
    archiving = students[students["in_scope"] & ~students["archived"]]
    fields = list(STUDENTS.fields)
    plan = pd.DataFrame({"action": ARCHIVED, "key": archiving["key"], "id": archiving["id"].astype("Int64")})
    for name in fields:
        plan[name] = archiving[name]
    for name in (*fields, "archived_at"):
        plan[OLD + name] = archiving[name]
    plan["changed"] = ""
    plan["file"] = pd.Series(pd.NA, index=plan.index, dtype="string")
    plan["line"] = pd.Series(pd.NA, index=plan.index, dtype="Int64")
    plans = {name: _nothing(name) for name in ENTITIES}
    plans["students"] = plan.reset_index(drop=True)
    # An explicit request: reported against the limits, never stopped by them.
    limits = ThresholdSettings(per_entity={"students": Threshold(percent=100.0)})
    return StagedPlan(
        tenant=snapshot.tenant.key,
        fingerprint=snapshot.fingerprint,
        entities=plans,
        thresholds=check_thresholds(plans, {"students": len(archiving)}, limits),
        rekeys=find_rekeys(plans),
        merge_candidates=pd.DataFrame({column: pd.Series(dtype="string") for column in CANDIDATE_COLUMNS}),
        covered_schools=sorted(chosen),
    )


def _nothing(entity: str) -> pd.DataFrame:
    """The entity's plan columns with no rows."""
    spec = ENTITIES[entity]
    columns = ["action", *spec.keys, "id", *(p.column for p in spec.parents), *spec.fields]
    columns += [OLD + name for name in spec.fields] + (["old_archived_at"] if spec.is_record else [])
    return pd.DataFrame(
        {column: pd.Series(dtype="string") for column in [*columns, "changed", "file", "line"]}
    )

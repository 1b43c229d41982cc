"""Archiving a school's or district's existing students before its first upload (the advice every
rostering product gives), as a staged plan: previewed like a dry run, applied under the same lock with
the same change log, and undone by rollback. Students made by hand are included: they are what the
advice is about."""

from __future__ import annotations

from roster_pipeline.matching.entities import STUDENTS
from roster_pipeline.matching.existing import existing_records
from roster_pipeline.plan.actions import ARCHIVED
from roster_pipeline.plan.staged_plan import StagedPlan, operation_plan, record_plan_rows
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
    students = existing_records(snapshot, chosen)["students"]
    archiving = students[students["in_scope"] & ~students["archived"]]
    plan = operation_plan(
        snapshot.tenant.key,
        snapshot.fingerprint,
        {"students": record_plan_rows(archiving, ARCHIVED, STUDENTS.fields)},
    )
    plan.covered_schools = sorted(chosen)
    return plan

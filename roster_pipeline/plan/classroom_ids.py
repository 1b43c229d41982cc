"""Giving classrooms made by hand the SIS ID of the class they are (from accepted suggestions), and
archiving the manual classrooms no upload class matches: one staged plan, previewed, applied and
rolled back like an import. The next import then updates those classrooms instead of duplicating them."""

from __future__ import annotations

import pandas as pd

from roster_pipeline.frames import is_in
from roster_pipeline.matching.entities import CLASSROOMS
from roster_pipeline.matching.existing import existing_records
from roster_pipeline.plan.actions import ARCHIVED, UPDATED
from roster_pipeline.plan.staged_plan import StagedPlan, operation_plan, record_plan_rows
from roster_pipeline.roster.snapshot import RosterSnapshot
from roster_pipeline.schemas.vocabularies import ID_PATTERN


class ClassroomIdsRefused(ValueError):
    pass


def classroom_ids_plan(
    snapshot: RosterSnapshot, accepted: pd.DataFrame, archive_unmatched: bool = False
) -> StagedPlan:
    """``accepted``: ``classroom_id`` and ``class_sis_id`` pairs (a reviewed suggestions CSV, or the
    suggestions above a score)."""
    records = existing_records(snapshot, set())["classrooms"]
    manual = records[(records["key"] == "") & ~records["archived"]]
    accepted = accepted.astype({"classroom_id": "int64", "class_sis_id": "string"})
    not_manual = sorted(set(accepted["classroom_id"]) - set(manual["id"].astype(int)))
    if not_manual:
        raise ClassroomIdsRefused(f"classrooms {not_manual} are not active classrooms without an SIS ID")
    invalid = ~accepted["class_sis_id"].str.fullmatch(ID_PATTERN).fillna(False).astype(bool)
    if invalid.any():
        raise ClassroomIdsRefused(
            f"not valid SIS IDs: {sorted(accepted['class_sis_id'][invalid].fillna(''))}"
        )
    taken = is_in(accepted["class_sis_id"], records.loc[records["key"] != "", "key"])
    if taken.any():
        raise ClassroomIdsRefused(f"SIS IDs already in the roster: {sorted(accepted['class_sis_id'][taken])}")
    if accepted["class_sis_id"].duplicated().any() or accepted["classroom_id"].duplicated().any():
        raise ClassroomIdsRefused("each classroom and each SIS ID may be accepted once")

    targets = accepted.set_index("classroom_id")["class_sis_id"]
    matched = manual[manual["id"].isin(targets.index)]
    updates = record_plan_rows(matched, UPDATED, CLASSROOMS.fields)
    updates["sis_id"] = targets.reindex(updates["id"].astype(int)).to_numpy()
    updates["key"] = updates["sis_id"]
    updates["managed_by"] = "sis"
    updates["changed"] = "sis_id,managed_by"
    rows = [updates]
    if archive_unmatched:
        rows.append(record_plan_rows(manual[~manual["id"].isin(targets.index)], ARCHIVED, CLASSROOMS.fields))
    return operation_plan(
        snapshot.tenant.key, snapshot.fingerprint, {"classrooms": pd.concat(rows, ignore_index=True)}
    )

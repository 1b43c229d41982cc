"""The roster snapshot as entity frames in the upload's terms (SIS IDs), with what a bulk upload covers.

Records get ``key`` (their SIS ID, "" when made by hand), ``archived`` and ``in_scope``; links get
their parents' keys in place of ids. A link whose parent has no SIS ID belongs to a hand-made record
and is never in scope.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from roster_pipeline.frames import STRING
from roster_pipeline.matching.entities import ENTITIES, EntitySpec
from roster_pipeline.roster.snapshot import RosterSnapshot

TABLE_OF = {
    "classrooms": "classrooms",
    "students": "students",
    "staff": "staff",
    "guardians": "guardians",
    "student_enrollments": "enrollments",
    "staff_enrollments": "enrollments",
    "guardian_links": "student_guardians",
    "student_attributes": "student_attributes",
}


def existing_records(snapshot: RosterSnapshot, covered_schools: set[int]) -> dict[str, pd.DataFrame]:
    records = {}
    for name in ("classrooms", "students", "staff", "guardians"):
        table = getattr(snapshot, TABLE_OF[name])
        frame = table[["id", *ENTITIES[name].fields]].copy()
        frame.insert(0, "key", table["sis_id"])
        frame["archived"] = table["archived_at"].notna().to_numpy(dtype=bool)
        frame["archived_at"] = _iso(table["archived_at"])
        if "school_pk" in frame.columns:
            frame["in_scope"] = frame["school_pk"].isin(list(covered_schools)).fillna(False).astype(bool)
        else:
            frame["in_scope"] = False  # guardians: decided by their links, see guardians_in_scope
        frame["matched_by"] = pd.Series("", index=frame.index, dtype=STRING)
        records[name] = frame
    return records


def _iso(moments: pd.Series) -> pd.Series:
    stamps = pd.to_datetime(moments, utc=True)
    return stamps.dt.strftime("%Y-%m-%dT%H:%M:%S.%f%z").astype(STRING).fillna("")


def existing_links(snapshot: RosterSnapshot, records: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Links in SIS terms, using the records' keys after matching (a staff member matched by email
    brings their enrollments along)."""
    links = {}
    for name, spec in ENTITIES.items():
        if spec.is_record:
            continue
        table = getattr(snapshot, TABLE_OF[name])
        own = spec.parents[-1] if name.endswith("enrollments") else spec.parents[0]
        table = table[table[own.column].notna()]
        links[name] = _in_parent_terms(spec, table, records)
    guardians = records["guardians"]
    guardians["in_scope"] = guardians_in_scope(guardians, links["guardian_links"])
    return links


def _in_parent_terms(spec: EntitySpec, table: pd.DataFrame, records: dict[str, pd.DataFrame]) -> pd.DataFrame:
    table = table.reset_index(drop=True)
    frame = pd.DataFrame({"id": table["id"].astype("Int64")})
    has_keys = np.ones(len(table), dtype=bool)
    for position, parent in enumerate(spec.parents):
        parent_frame = records[parent.entity]
        parent_ids = table[parent.column].astype("Int64")
        found = pd.Index(parent_frame["id"].astype("Int64")).get_indexer(parent_ids)
        keys = parent_frame["key"].astype(STRING).array.take(found, allow_fill=True)
        frame[parent.key] = pd.Series(keys, dtype=STRING).fillna("")
        frame[parent.column] = parent_ids
        has_keys &= (frame[parent.key] != "").to_numpy(dtype=bool)
        if position == 0:
            scope = parent_frame["in_scope"].to_numpy(dtype=bool)
            frame["in_scope"] = np.where(found >= 0, scope[np.maximum(found, 0)], False)
    for name in (*spec.extra_keys, *spec.fields):
        frame[name] = table[name].astype(STRING)
    frame["in_scope"] &= has_keys
    frame["archived"] = False
    return frame


def guardians_in_scope(guardians: pd.DataFrame, links: pd.DataFrame) -> pd.Series:
    """A guardian is covered when every student they are linked to is (and there is at least one)."""
    per_guardian = links.groupby("guardian_id")["in_scope"].all()
    covered = per_guardian[per_guardian].index
    return guardians["id"].isin(covered).fillna(False).astype(bool)

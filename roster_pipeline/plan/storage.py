"""Save and load a plan as Parquet files plus a small JSON summary, for pandas or DuckDB:

<folder>/summary.json           tenant, fingerprint, counts, thresholds, when
<folder>/changes.parquet        every change: entity, key, action, field, old, new, file, line
<folder>/<entity>.parquet       the full per-entity plan that apply commits
<folder>/thresholds.parquet, rekeys.parquet, merge_candidates.parquet

The folder is a local ``Path`` or an ``S3Folder`` (see ``roster_pipeline.folders``).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.parquet as pq

from roster_pipeline.folders import PARQUET_OPTIONS, Folder, parquet_bytes, read_frame
from roster_pipeline.matching.entities import ENTITIES
from roster_pipeline.plan.staged_plan import PlanActions, PlanCandidates, StagedPlan

SUMMARY = "summary.json"
TABLES = ("thresholds", "rekeys", "merge_candidates")
REVIEW_FILE = "changes.parquet"
# Its columns of a few distinct names as dictionary pages (a million rows of "students", "CREATED"
# cost a run of codes), the rest as plain values: 15% faster to write than all plain at 100k students.
CHANGES_PARQUET_OPTIONS = {**PARQUET_OPTIONS, "use_dictionary": ["entity", "action", "field", "file"]}
# Plans whose files are already made, by id: see ``files_made``.
_MADE: dict[int, tuple[StagedPlan, dict[str, bytes]]] = {}


def plan_files(plan: StagedPlan, *, review: bool = True) -> dict[str, bytes]:
    """Every file of a saved plan by name, ``summary.json`` last; made once, written wherever the plan
    goes (the run's folder, next to the upload's results). ``review=False`` leaves out
    changes.parquet, the reviewer's file, which loading the plan does not need."""
    made = _MADE.get(id(plan))
    if made is not None and made[0] is plan:
        return {name: data for name, data in made[1].items() if review or name != REVIEW_FILE}
    files = {f"{name}.parquet": parquet_bytes(frame, index=False) for name, frame in plan.entities.items()}
    files |= {f"{name}.parquet": parquet_bytes(getattr(plan, name), index=False) for name in TABLES}
    if review:
        files[REVIEW_FILE] = changes_parquet(plan)
    summary = {
        "tenant": plan.tenant,
        "fingerprint": plan.fingerprint,
        "created_at": plan.created_at,
        "covered_schools": plan.covered_schools,
        "counts": plan.counts().to_dict(orient="records"),
        "thresholds_exceeded": plan.exceeded["reason"].tolist(),
        "rekeys": len(plan.rekeys),
        "merge_candidates": len(plan.merge_candidates),
    }
    files[SUMMARY] = (json.dumps(summary, indent=2) + "\n").encode("utf-8")
    return files


@contextmanager
def files_made(plan: StagedPlan, files: dict[str, bytes]) -> Iterator[None]:
    """While open, saving ``plan`` writes ``files`` (its ``plan_files``) rather than encoding its
    frames again: a Dagster step saves the plan for the reviewer, then its IO manager stores the same
    plan for the next step (a second encoding: about 0.2 s at 100k students, 2-3 s at a million)."""
    _MADE[id(plan)] = (plan, files)
    try:
        yield
    finally:
        _MADE.pop(id(plan), None)


def changes_parquet(plan: StagedPlan) -> bytes:
    """``changes.parquet`` written a part at a time: only one part's rows are held as a frame."""
    buffer = io.BytesIO()
    writer = None
    for part in plan.change_parts():
        table = pa.Table.from_pandas(part, preserve_index=False)
        if writer is None:
            writer = pq.ParquetWriter(buffer, table.schema, **CHANGES_PARQUET_OPTIONS)
        writer.write_table(table.cast(writer.schema))
    if writer is None:
        return parquet_bytes(plan.changes(), index=False)
    writer.close()
    return buffer.getvalue()


def save_plan(plan: StagedPlan, folder: Folder, *, review: bool = True) -> Folder:
    return write_plan_files(plan_files(plan, review=review), folder)


def write_plan_files(files: dict[str, bytes], folder: Folder) -> Folder:
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():  # the summary last: a folder without it holds no whole plan
        (folder / name).write_bytes(data)
    return folder


def load_plan_candidates(folder: Folder) -> PlanCandidates:
    """The plan's tenant, fingerprint and merge candidates, without reading its entity files."""
    summary = json.loads((folder / SUMMARY).read_bytes())
    return PlanCandidates(
        tenant=summary["tenant"],
        fingerprint=summary["fingerprint"],
        merge_candidates=read_frame(folder / "merge_candidates.parquet"),
    )


@dataclass
class StoredPlan(PlanActions):
    """A stored plan's actions and thresholds, and the folder holding the rest: what a step asking for
    ``PlanActions`` gets, so that settling a run decides a dry run on these and reads the whole plan
    only to commit it."""

    folder: Folder

    def whole(self) -> StagedPlan:
        return load_plan(self.folder)


def load_plan_actions(folder: Folder) -> StoredPlan:
    """What the results need of the saved plan, reading 3 of each entity's 10 to 31 columns (at 100k
    students 0.09 s instead of 0.3 to 1 s)."""
    summary = json.loads((folder / SUMMARY).read_bytes())
    return StoredPlan(
        tenant=summary["tenant"],
        fingerprint=summary["fingerprint"],
        merge_candidates=read_frame(folder / "merge_candidates.parquet"),
        entities={
            name: read_frame(folder / f"{name}.parquet", PlanActions.ACTION_COLUMNS) for name in ENTITIES
        },
        thresholds=read_frame(folder / "thresholds.parquet"),
        folder=folder,
    )


def load_plan(folder: Folder) -> StagedPlan:
    summary = json.loads((folder / SUMMARY).read_bytes())
    tables = {name: read_frame(folder / f"{name}.parquet") for name in TABLES}
    return StagedPlan(
        tenant=summary["tenant"],
        fingerprint=summary["fingerprint"],
        entities={name: read_frame(folder / f"{name}.parquet") for name in ENTITIES},
        covered_schools=summary["covered_schools"],
        created_at=summary["created_at"],
        **tables,
    )

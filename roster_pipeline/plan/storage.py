"""Save and load a plan as Parquet files plus a small JSON summary, for pandas or DuckDB:

<folder>/summary.json           tenant, fingerprint, counts, thresholds, when
<folder>/changes.parquet        every change: entity, key, action, field, old, new, file, line
<folder>/<entity>.parquet       the full per-entity plan that apply commits
<folder>/thresholds.parquet, rekeys.parquet, merge_candidates.parquet
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from roster_pipeline.matching.entities import ENTITIES
from roster_pipeline.plan.staged_plan import StagedPlan

SUMMARY = "summary.json"
TABLES = ("thresholds", "rekeys", "merge_candidates")


def save_plan(plan: StagedPlan, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in plan.entities.items():
        frame.to_parquet(folder / f"{name}.parquet", index=False)
    for name in TABLES:
        getattr(plan, name).to_parquet(folder / f"{name}.parquet", index=False)
    plan.changes().to_parquet(folder / "changes.parquet", index=False)
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
    (folder / SUMMARY).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return folder


def load_plan(folder: Path) -> StagedPlan:
    summary = json.loads((folder / SUMMARY).read_text(encoding="utf-8"))
    tables = {name: pd.read_parquet(folder / f"{name}.parquet") for name in TABLES}
    return StagedPlan(
        tenant=summary["tenant"],
        fingerprint=summary["fingerprint"],
        entities={name: pd.read_parquet(folder / f"{name}.parquet") for name in ENTITIES},
        covered_schools=summary["covered_schools"],
        created_at=summary["created_at"],
        **tables,
    )

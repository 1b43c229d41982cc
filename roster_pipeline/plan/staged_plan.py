"""Build the staged plan: match the upload against the snapshot and diff every entity."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import ClassVar

import numpy as np
import pandas as pd

from roster_pipeline.frames import STRING
from roster_pipeline.matching.duplicates import CANDIDATE_COLUMNS, merge_candidates
from roster_pipeline.matching.entities import ENTITIES
from roster_pipeline.matching.roster_matches import RosterMatches, match_roster
from roster_pipeline.plan.actions import CHANGING, CREATED, UNCHANGED
from roster_pipeline.plan.diff import OLD, diff_entity
from roster_pipeline.plan.rekeys import find_rekeys
from roster_pipeline.plan.thresholds import Threshold, ThresholdSettings, check_thresholds
from roster_pipeline.roster.snapshot import RosterSnapshot
from roster_pipeline.validation.validate import ValidatedUpload

CHANGE_COLUMNS = ["entity", "key", "action", "field", "old", "new", "file", "line"]


@dataclass
class PlanCandidates:
    """The roster a plan was built on and its merge candidates, each with what a reviewer needs beside
    the score: a step that reviews them loads only this part of a stored plan."""

    tenant: str
    fingerprint: str
    merge_candidates: pd.DataFrame


@dataclass
class PlanActions(PlanCandidates):
    """What a run's results need of its plan: each entity's rows as ``ACTION_COLUMNS`` (which input
    row, what becomes of it) and the thresholds (whether it was stopped). A step that writes the
    results loads only this part of a stored plan: 3 of each entity's 10 to 31 columns."""

    ACTION_COLUMNS: ClassVar[list[str]] = ["file", "line", "action"]

    entities: dict[str, pd.DataFrame]
    thresholds: pd.DataFrame

    @property
    def exceeded(self) -> pd.DataFrame:
        return self.thresholds[self.thresholds["exceeded"]]

    def whole(self) -> StagedPlan:
        """The whole plan these actions belong to, which a commit needs (every column of every entity)."""
        raise TypeError("only this plan's actions were kept, not the whole plan")

    def counts(self) -> pd.DataFrame:
        """Entity by action, every action the plan uses as a column."""
        rows = {name: plan["action"].value_counts() for name, plan in self.entities.items()}
        table = pd.DataFrame(rows).T.fillna(0).astype("int64")
        ordered = [action for action in (*CHANGING, UNCHANGED, "SKIPPED") if action in table.columns]
        table = table.reindex(index=list(self.entities), columns=ordered, fill_value=0)
        return table.rename_axis("entity").reset_index()


@dataclass
class StagedPlan(PlanActions):
    rekeys: pd.DataFrame
    covered_schools: list[int] = field(default_factory=list)
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    def whole(self) -> StagedPlan:
        return self

    @property
    def is_empty(self) -> bool:
        return not any(plan["action"].isin(CHANGING).any() for plan in self.entities.values())

    def changes(self, rows_per_entity: int | None = None) -> pd.DataFrame:
        """Every change as (entity, key, action, field, old, new): one row per changed field of an
        update, one row for anything else; unchanged rows left out. ``rows_per_entity`` keeps the
        changes of each entity's first so many changing rows: a sample for the UI that does not
        build a million students' changes to show twenty."""
        parts = list(self.change_parts(rows_per_entity))
        if not parts:
            return pd.DataFrame({column: pd.Series(dtype=STRING) for column in CHANGE_COLUMNS})
        return pd.concat(parts, ignore_index=True)

    def change_counts(self) -> dict[str, int]:
        """How many rows ``changes()`` holds for each entity with changes, without building them."""
        counts = {}
        for name, plan in self.entities.items():
            changed = plan["changed"][plan["action"].isin(CHANGING).to_numpy(dtype=bool)]
            updates = (changed != "").to_numpy(dtype=bool)
            fields = int(changed[updates].str.count(",").sum()) + int(updates.sum())
            if len(changed):
                counts[name] = fields + int((~updates).sum())
        return counts

    def change_parts(self, rows_per_entity: int | None = None) -> Iterator[pd.DataFrame]:
        """``changes()`` a piece at a time (an entity's whole rows, or one field of its updates), for
        writers that need not hold a million students' changes at once."""
        for name, plan in self.entities.items():
            spec = ENTITIES[name]
            changing = np.flatnonzero(plan["action"].isin(CHANGING).to_numpy(dtype=bool))
            # A sample takes its rows before copying any (not 700k enrollments to show twenty).
            plan = plan.iloc[changing if rows_per_entity is None else changing[:rows_per_entity]]
            if plan.empty:
                continue
            key = entity_key(plan, spec.keys)
            updates = plan["changed"] != ""
            changed = plan["changed"][updates]
            for field_name in spec.fields:
                named = changed.str.contains(rf"(?:^|,){field_name}(?:,|$)", regex=True)
                touched = pd.Series(False, index=plan.index)
                touched[named.index[named.to_numpy(dtype=bool)]] = True
                if touched.any():
                    yield _change_rows(name, key, plan, touched, field_name)
            whole = ~updates
            if whole.any():
                yield _change_rows(name, key, plan, whole, "")


def entity_key(plan: pd.DataFrame, keys: tuple[str, ...]) -> pd.Series:
    """One string per row naming it: the SIS ID, or the parents' SIS IDs joined by ``|``."""
    key = plan[keys[0]].astype(STRING)
    for name in keys[1:]:
        key = key + "|" + plan[name].astype(STRING)
    return key


def _change_rows(
    entity: str, key: pd.Series, plan: pd.DataFrame, mask: pd.Series, field_name: str
) -> pd.DataFrame:
    rows = plan[mask]
    index = pd.RangeIndex(len(rows))

    def text(values: pd.Series | str) -> pd.Series:
        if isinstance(values, str):
            return pd.Series(values, index=index, dtype=STRING)
        return pd.Series(values.astype(STRING).array, index=index)  # Arrow strings, not Python objects

    return pd.DataFrame(
        {
            "entity": text(entity),
            "key": text(key[mask]),
            "action": text(rows["action"]),
            "field": text(field_name),
            "old": text(rows[OLD + field_name]) if field_name else text(""),
            "new": text(rows[field_name]) if field_name else text(""),
            "file": text(rows["file"]),
            "line": pd.Series(rows["line"].astype("Int64").array, index=index),
        }
    )


def build_plan(
    upload: ValidatedUpload,
    snapshot: RosterSnapshot,
    thresholds: ThresholdSettings | None = None,
) -> StagedPlan:
    return plan_from_matches(match_roster(upload, snapshot), thresholds)


def plan_from_matches(matches: RosterMatches, thresholds: ThresholdSettings | None = None) -> StagedPlan:
    """Diff every entity, then the safeguards: thresholds, re-keys, merge candidates."""
    incoming, existing = matches.incoming, matches.existing
    plans = {
        name: diff_entity(spec, incoming.entities[name], existing[name], incoming.bulk[name])
        for name, spec in ENTITIES.items()
    }
    in_scope = {
        name: int((frame["in_scope"] & ~frame["archived"] & (frame[spec.keys[0]] != "")).sum())
        for name, spec in ENTITIES.items()
        for frame in [existing[name]]
    }
    created = plans["students"][plans["students"]["action"] == CREATED]
    return StagedPlan(
        tenant=matches.tenant,
        fingerprint=matches.fingerprint,
        entities=plans,
        thresholds=check_thresholds(plans, in_scope, thresholds or ThresholdSettings()),
        rekeys=find_rekeys(plans),
        merge_candidates=matches.merge_review_queue(
            merge_candidates(
                created, existing["students"], matches.incoming_birth_dates, matches.existing_birth_dates
            )
        ),
        covered_schools=sorted(incoming.covered_schools),
    )


def operation_plan(snapshot_tenant: str, fingerprint: str, rows: dict[str, pd.DataFrame]) -> StagedPlan:
    """A plan for an explicit operation (archiving students, assigning classroom SIS IDs): the given
    rows per entity, nothing for the rest, and limits reported but never stopping it (the person
    asked for exactly this)."""
    plans = {name: rows.get(name, empty_entity_plan(name)) for name in ENTITIES}
    in_scope = {name: len(frame) for name, frame in plans.items()}
    limits = ThresholdSettings(Threshold(percent=100.0))
    return StagedPlan(
        tenant=snapshot_tenant,
        fingerprint=fingerprint,
        entities=plans,
        thresholds=check_thresholds(plans, in_scope, limits),
        rekeys=find_rekeys(plans),
        merge_candidates=pd.DataFrame({column: pd.Series(dtype=STRING) for column in CANDIDATE_COLUMNS}),
    )


def record_plan_rows(records: pd.DataFrame, action: str, fields: tuple[str, ...]) -> pd.DataFrame:
    """Plan rows for existing records (from matching.existing), their fields as they are; the caller
    sets the new values of what changes."""
    plan = pd.DataFrame({"action": action, "key": records["key"], "id": records["id"].astype("Int64")})
    for name in fields:
        plan[name] = records[name]
    for name in (*fields, "archived_at"):
        plan[OLD + name] = records[name]
    plan["changed"] = ""
    plan["file"] = pd.Series(pd.NA, index=plan.index, dtype=STRING)
    plan["line"] = pd.Series(pd.NA, index=plan.index, dtype="Int64")
    return plan.reset_index(drop=True)


def empty_entity_plan(entity: str) -> pd.DataFrame:
    spec = ENTITIES[entity]
    columns = ["action", *spec.keys, "id", *(p.column for p in spec.parents), *spec.fields]
    columns += [OLD + name for name in spec.fields] + (["old_archived_at"] if spec.is_record else [])
    return pd.DataFrame({column: pd.Series(dtype=STRING) for column in [*columns, "changed", "file", "line"]})

"""Safeguards against silent mass deletes: archives and removals per entity, against a limit."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from roster_pipeline.plan.actions import REMOVING
from roster_pipeline.settings_file import read_settings_file

DEFAULT_PERCENT = 10.0
ALLOW_LARGE_CHANGES = "allow it with --allow-large-changes"


@dataclass(frozen=True)
class Threshold:
    """Stop when removals exceed ``percent`` of the entity's records in scope, or ``count`` rows."""

    percent: float = DEFAULT_PERCENT
    count: int | None = None


@dataclass(frozen=True)
class ThresholdSettings:
    default: Threshold = Threshold()
    per_entity: dict[str, Threshold] = field(default_factory=dict)

    def for_entity(self, entity: str) -> Threshold:
        return self.per_entity.get(entity, self.default)


def load_threshold_settings(path: Path | str | None) -> ThresholdSettings:
    """Defaults, overridden by a TOML file's ``[thresholds]`` (``percent``, ``count``) and
    ``[thresholds.<entity>]`` tables."""
    if path is None:
        return ThresholdSettings()
    data = read_settings_file(path).get("thresholds", {})
    default = Threshold(float(data.get("percent", DEFAULT_PERCENT)), data.get("count"))
    per_entity = {
        entity: Threshold(float(values.get("percent", default.percent)), values.get("count", default.count))
        for entity, values in data.items()
        if isinstance(values, dict)
    }
    return ThresholdSettings(default, per_entity)


def check_thresholds(
    plans: dict[str, pd.DataFrame], in_scope: dict[str, int], settings: ThresholdSettings
) -> pd.DataFrame:
    """One row per entity: existing in scope, removals, the limit, and whether it is exceeded."""
    rows = []
    for entity, plan in plans.items():
        threshold = settings.for_entity(entity)
        existing = in_scope.get(entity, 0)
        removals = int(plan["action"].isin(REMOVING).sum())
        limit = existing * threshold.percent / 100
        over_percent = removals > limit
        over_count = threshold.count is not None and removals > threshold.count
        exceeded = removals > 0 and (over_percent or over_count)
        reason = ""
        if exceeded:
            share = f"{removals / existing:.0%}" if existing else "all"
            reason = (
                f"{entity}: {removals} of {existing} would be archived or removed ({share}); "
                f"the limit is {threshold.percent:g}%"
                + (f" or {threshold.count} rows" if threshold.count else "")
            )
        rows.append(
            {
                "entity": entity,
                "existing_in_scope": existing,
                "removals": removals,
                "limit_percent": threshold.percent,
                "limit_count": threshold.count,
                "exceeded": exceeded,
                "reason": reason,
            }
        )
    frame = pd.DataFrame(rows)
    frame["limit_count"] = frame["limit_count"].astype("Int64")
    return frame


def rejection_reason(exceeded: pd.DataFrame) -> str:
    """Why a plan over its thresholds is not committed (``exceeded``: the rows of ``check_thresholds``
    that are): the one wording the run record, the commit's refusal and the results all use."""
    return "; ".join(exceeded["reason"]) + f" ({ALLOW_LARGE_CHANGES})"

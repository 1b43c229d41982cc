"""Re-keys: an archive and a create in one plan that look like the same record under a new SIS ID
(a SIS migration, a typo fixed). Flagged with both IDs so a person can decide before committing."""

from __future__ import annotations

import pandas as pd

from roster_pipeline.matching.duplicates import normalised_name
from roster_pipeline.plan.actions import ARCHIVED, CREATED

LOOKS_ALIKE = {
    "classrooms": ("title", "school_pk"),
    "students": ("given_name", "family_name", "school_pk"),
    "staff": ("given_name", "family_name", "school_pk"),
    "guardians": ("given_name", "family_name"),
}
REKEY_COLUMNS = ["entity", "archived_key", "created_key", "line", "message"]


def find_rekeys(plans: dict[str, pd.DataFrame]) -> pd.DataFrame:
    found = []
    for entity, columns in LOOKS_ALIKE.items():
        plan = plans.get(entity)
        if plan is None:
            continue
        archived, created = plan[plan["action"] == ARCHIVED], plan[plan["action"] == CREATED]
        if archived.empty or created.empty:
            continue
        pairs = _alike(archived, columns).merge(
            _alike(created, columns), on=list(columns), suffixes=("_a", "_c")
        )
        found.append(
            pd.DataFrame(
                {
                    "entity": entity,
                    "archived_key": pairs["key_a"].to_numpy(),
                    "created_key": pairs["key_c"].to_numpy(),
                    "line": pairs["line_c"].to_numpy(),
                    "message": (
                        f"{entity}: "
                        + pairs["key_a"]
                        + " would be archived and "
                        + pairs["key_c"]
                        + " created, and they look alike ("
                        + ", ".join(columns)
                        + "): a new SIS ID?"
                    ).to_numpy(),
                }
            )
        )
    if not found:
        return pd.DataFrame({column: pd.Series(dtype="object") for column in REKEY_COLUMNS})
    return pd.concat(found, ignore_index=True)


def _alike(plan: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    frame = plan[["key", "line"]].copy()
    for column in columns:
        frame[column] = plan[column] if column == "school_pk" else normalised_name(plan[column])
    return frame

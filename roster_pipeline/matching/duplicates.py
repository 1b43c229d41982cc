"""Likely duplicates: a student the upload creates who looks like an existing student with no SIS ID.

Never merged here: each pair becomes a scored merge candidate for a person to review. The score adds
up evidence (same name is required; same school, birth date and grade add; a different birth date
takes away), so a pair with a different birth date always ranks below the same pair with a matching one.
"""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from roster_pipeline.frames import STRING

SCORES = {"same school": 0.3, "same birth date": 0.3, "same grade": 0.1}
NAME_SCORE = 0.3
DIFFERENT_BIRTH_DATE = -0.2
MIN_SCORE = 0.5
CANDIDATE_COLUMNS = [
    "student_key",
    "existing_id",
    "score",
    "reasons",
    "given_name",
    "family_name",
    "school_pk",
    "grades",
    "birth_date",
    "existing_school_pk",
    "existing_grades",
    "existing_birth_date",
    "file",
    "line",
]


def normalised_name(values: pd.Series) -> pd.Series:
    """Case, accents, punctuation and spacing removed: "Zoë  O'Brien" -> "zoe obrien"."""
    array = pa.array(values.fillna("").astype(STRING).array)
    array = pc.utf8_normalize(array, "NFKD")
    array = pc.replace_substring_regex(array, r"\p{Mn}|[^\p{L}\p{N} ]", "")
    array = pc.utf8_lower(pc.utf8_trim_whitespace(pc.replace_substring_regex(array, r"\s+", " ")))
    return pd.Series(
        array.to_pandas(types_mapper=pd.ArrowDtype).astype(STRING).to_numpy(), index=values.index
    )


def merge_candidates(
    created: pd.DataFrame,
    existing: pd.DataFrame,
    incoming_birth_dates: pd.Series,
    existing_birth_dates: pd.Series,
) -> pd.DataFrame:
    """``created``: students the plan creates; ``existing``: roster students. Birth dates are indexed by
    student key (incoming) and id (existing)."""
    idless = existing[(existing["key"] == "") & ~existing["archived"]]
    if created.empty or idless.empty:
        return pd.DataFrame({column: pd.Series(dtype=STRING) for column in CANDIDATE_COLUMNS})
    left = created.assign(
        given=normalised_name(created["given_name"]),
        family=normalised_name(created["family_name"]),
        birth_date=incoming_birth_dates.reindex(created["key"].to_numpy()).fillna("").to_numpy(),
    )
    right = pd.DataFrame(
        {
            "given": normalised_name(idless["given_name"]).to_numpy(),
            "family": normalised_name(idless["family_name"]).to_numpy(),
            "existing_id": idless["id"].to_numpy(),
            "existing_school_pk": idless["school_pk"].to_numpy(),
            "existing_grades": idless["grades"].to_numpy(),
            "existing_birth_date": existing_birth_dates.reindex(idless["id"].to_numpy())
            .fillna("")
            .to_numpy(),
        }
    )
    pairs = left.merge(right, on=["given", "family"])
    evidence = {
        "same school": (pairs["school_pk"] == pairs["existing_school_pk"]).fillna(False),
        "same birth date": (pairs["birth_date"] != "")
        & (pairs["birth_date"] == pairs["existing_birth_date"]),
        "same grade": (pairs["grades"] != "") & (pairs["grades"] == pairs["existing_grades"]),
    }
    different_birth = (
        (pairs["birth_date"] != "")
        & (pairs["existing_birth_date"] != "")
        & (pairs["birth_date"] != pairs["existing_birth_date"])
    )
    score = pd.Series(NAME_SCORE, index=pairs.index)
    reasons = pd.Series("same name", index=pairs.index, dtype=STRING)
    for reason, holds in evidence.items():
        score += holds.astype(float) * SCORES[reason]
        reasons = reasons.where(~holds.astype(bool), reasons + "; " + reason)
    score += different_birth.astype(float) * DIFFERENT_BIRTH_DATE
    reasons = reasons.where(~different_birth, reasons + "; different birth date")
    pairs["score"] = score.round(2)
    pairs["reasons"] = reasons
    pairs = pairs.rename(columns={"key": "student_key"})
    pairs = pairs[pairs["score"] >= MIN_SCORE].sort_values(["student_key", "score"], ascending=[True, False])
    return pairs[CANDIDATE_COLUMNS].reset_index(drop=True)

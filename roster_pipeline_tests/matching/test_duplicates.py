"""Likely duplicates: names normalised, evidence scored, never merged silently."""

from __future__ import annotations

import pandas as pd

from roster_pipeline.frames import STRING
from roster_pipeline.matching.duplicates import merge_candidates, normalised_name


def test_names_are_compared_without_case_accents_or_punctuation() -> None:
    names = pd.Series(["Zoë  Nuñez", "O'BRIEN", " Chloé D'Angelo "], dtype=STRING)
    assert normalised_name(names).tolist() == ["zoe nunez", "obrien", "chloe dangelo"]


def _created(birth: str) -> tuple[pd.DataFrame, pd.Series]:
    created = pd.DataFrame(
        {
            "key": ["0001004"],
            "given_name": ["Noah"],
            "family_name": ["Ng"],
            "school_pk": [1],
            "grades": ["04"],
            "file": ["users.csv"],
            "line": [5],
        }
    )
    return created, pd.Series([birth], index=["0001004"])


EXISTING = pd.DataFrame(
    {
        "key": ["", "", "S-1"],
        "id": [7, 8, 9],
        "given_name": ["NOAH", "Noah", "Noah"],
        "family_name": ["ng", "Ng", "Ng"],
        "school_pk": [1, 2, 1],
        "grades": ["04", "09", "04"],
        "archived": [False, False, False],
    }
)


def test_a_different_birth_date_scores_lower_than_the_same_one() -> None:
    stored = pd.Series(["2016-11-21"], index=[7])
    same = merge_candidates(*_pair("2016-11-21"), stored)
    different = merge_candidates(*_pair("2015-01-01"), stored)
    assert same["existing_id"].tolist() == [7] and different["existing_id"].tolist() == [7]
    assert same["score"].iloc[0] > different["score"].iloc[0]
    assert "different birth date" in different["reasons"].iloc[0]


def _pair(birth: str) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    created, births = _created(birth)
    return created, EXISTING, births


def test_students_with_an_sis_id_or_only_a_name_in_common_are_not_candidates() -> None:
    created, births = _created("")
    candidates = merge_candidates(created, EXISTING, births, pd.Series(dtype=str))
    # id 8 shares only the name (other school, other grade); id 9 has an SIS ID of its own.
    assert candidates["existing_id"].tolist() == [7]
    assert candidates["reasons"].iloc[0] == "same name; same school; same grade"

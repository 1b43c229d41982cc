"""Classroom match suggestions: each existing classroom made by hand (no SIS ID) paired with the class
of the upload it most likely is, so a district can give it the SIS ID instead of getting a duplicate.

Evidence, per pair in the same school: title similarity (RapidFuzz, order-insensitive) for 70 of the
100 points; the other 30 go by the share of what both sides know (teacher by email or name, grades,
period) that agrees. Each classroom and each class is used at most once, best scores first.
"""

from __future__ import annotations

import pandas as pd
from rapidfuzz import fuzz, process

from roster_pipeline.frames import STRING
from roster_pipeline.matching.duplicates import normalised_name
from roster_pipeline.matching.incoming import IncomingRoster
from roster_pipeline.roster.snapshot import RosterSnapshot

TITLE_WEIGHT = 0.7
SUGGESTION_COLUMNS = [
    "classroom_id",
    "classroom_title",
    "class_sis_id",
    "class_title",
    "school_pk",
    "score",
    "reasons",
]


def suggest_classrooms(snapshot: RosterSnapshot, incoming: IncomingRoster) -> pd.DataFrame:
    """One row per manual classroom with a plausible class, score 0-100, best first."""
    classrooms = snapshot.classrooms
    manual = classrooms[(classrooms["sis_id"] == "") & classrooms["archived_at"].isna()]
    classes = incoming.entities["classrooms"]
    if manual.empty or classes.empty:
        return pd.DataFrame({column: pd.Series(dtype=STRING) for column in SUGGESTION_COLUMNS})
    left = pd.DataFrame(
        {
            "classroom_id": manual["id"].astype("Int64").to_numpy(),
            "classroom_title": manual["title"].to_numpy(),
            "school_pk": manual["school_pk"].astype("Int64").to_numpy(),
            "grades_a": manual["grades"].to_numpy(),
            "periods_a": manual["periods"].to_numpy(),
            "teacher_a": _roster_teachers(snapshot).reindex(manual["id"].to_numpy()).fillna("").to_numpy(),
        }
    )
    right = pd.DataFrame(
        {
            "class_sis_id": classes["key"].to_numpy(),
            "class_title": classes["title"].to_numpy(),
            "school_pk": classes["school_pk"].astype("Int64").to_numpy(),
            "grades_b": classes["grades"].to_numpy(),
            "periods_b": classes["periods"].to_numpy(),
            "teacher_b": _upload_teachers(incoming).reindex(classes["key"].to_numpy()).fillna("").to_numpy(),
        }
    )
    pairs = left.merge(right, on="school_pk")
    if pairs.empty:
        return pd.DataFrame({column: pd.Series(dtype=STRING) for column in SUGGESTION_COLUMNS})
    title = process.cpdist(
        normalised_name(pairs["classroom_title"]).tolist(),
        normalised_name(pairs["class_title"]).tolist(),
        scorer=fuzz.token_sort_ratio,
    )
    sides = {
        "teacher": ("teacher_a", "teacher_b"),
        "grades": ("grades_a", "grades_b"),
        "period": ("periods_a", "periods_b"),
    }
    title = pd.Series(title, index=pairs.index)
    agree = pd.Series(0.0, index=pairs.index)
    known = pd.Series(0.0, index=pairs.index)
    reasons = "title " + title.round().astype(int).astype(str) + "%"
    for name, (a, b) in sides.items():
        both = ((pairs[a] != "") & (pairs[b] != "")).fillna(False).astype(bool)
        holds = both & (pairs[a] == pairs[b]).fillna(False).astype(bool)
        agree += holds
        known += both
        reasons = reasons.where(~holds, reasons + "; same " + name)
        reasons = reasons.where(~(both & ~holds), reasons + "; other " + name)
    # The rest of the score is the share of the other evidence that agrees, where there is any.
    share = (agree / known.where(known > 0)).fillna(title / 100)
    score = TITLE_WEIGHT * title + (1 - TITLE_WEIGHT) * 100 * share
    pairs["score"] = score.round(1)
    pairs["reasons"] = reasons.astype(STRING)
    best = pairs.sort_values(["score", "classroom_id"], ascending=[False, True], kind="stable")
    best = best.drop_duplicates("classroom_id").drop_duplicates("class_sis_id")
    return best[SUGGESTION_COLUMNS].reset_index(drop=True)


def _roster_teachers(snapshot: RosterSnapshot) -> pd.Series:
    """Each roster classroom's first teacher, as a comparable label (email, else name)."""
    enrollments = snapshot.enrollments[snapshot.enrollments["staff_id"].notna()]
    staff = snapshot.staff.set_index("id")
    label = _label(staff["email"], staff["given_name"], staff["family_name"])
    teachers = label.reindex(enrollments["staff_id"].astype("Int64").to_numpy()).to_numpy()
    by_class = pd.Series(teachers, index=enrollments["classroom_id"].astype("Int64").to_numpy())
    return by_class[~by_class.index.duplicated()]


def _upload_teachers(incoming: IncomingRoster) -> pd.Series:
    """Each upload class's first teacher, as the same kind of label."""
    links = incoming.entities["staff_enrollments"]
    staff = incoming.entities["staff"].set_index("key")
    label = _label(staff["email"], staff["given_name"], staff["family_name"])
    teachers = label.reindex(links["user_key"].to_numpy()).to_numpy()
    by_class = pd.Series(teachers, index=links["class_key"].to_numpy())
    return by_class[~by_class.index.duplicated()]


def _label(email: pd.Series, given: pd.Series, family: pd.Series) -> pd.Series:
    name = normalised_name(given.astype(STRING) + " " + family.astype(STRING))
    return email.astype(STRING).str.lower().where(email.astype(STRING) != "", name)

"""The one diff every entity goes through, with properties over arbitrary rosters (hypothesis)."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from roster_pipeline.frames import STRING
from roster_pipeline.matching.entities import GUARDIANS
from roster_pipeline.plan import diff
from roster_pipeline.plan.diff import diff_entity

FIELDS = GUARDIANS.fields
keys = st.sets(st.from_regex(r"g-[0-9]{1,3}", fullmatch=True), max_size=12)
names = st.sampled_from(["Ana", "Ben", "Chloé", ""])


def incoming(rows: dict[str, str], status: dict[str, str] | None = None) -> pd.DataFrame:
    keys_ = sorted(rows)
    frame = pd.DataFrame({"key": keys_}, dtype=STRING)
    for name in FIELDS:
        frame[name] = pd.Series([rows[k] if name == "given_name" else "" for k in keys_], dtype=STRING)
    frame["sis_id"] = frame["key"]
    frame["managed_by"] = pd.Series("sis", index=frame.index, dtype=STRING)
    frame["status"] = pd.Series([(status or {}).get(k, "active") for k in keys_], dtype=STRING)
    frame["file"] = pd.Series("guardians.csv", index=frame.index, dtype=STRING)
    frame["line"] = range(2, 2 + len(keys_))
    return frame


def existing(rows: dict[str, str], archived: set[str] = frozenset(), in_scope: bool = True) -> pd.DataFrame:
    frame = incoming(rows).drop(columns=["status", "file", "line"])
    frame["id"] = pd.array(range(1, len(frame) + 1), dtype="Int64")
    frame["archived"] = frame["key"].isin(list(archived)).to_numpy(dtype=bool)
    frame["archived_at"] = pd.Series(["2026-01-01" if a else "" for a in frame["archived"]], dtype=STRING)
    frame["in_scope"] = in_scope
    return frame


def actions(plan: pd.DataFrame) -> dict[str, str]:
    return dict(zip(plan["key"], plan["action"], strict=True))


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.from_regex(r"g-[0-9]{1,3}", fullmatch=True), names, max_size=12))
def test_a_roster_diffed_against_itself_is_unchanged(rows: dict[str, str]) -> None:
    plan = diff_entity(GUARDIANS, incoming(rows), existing(rows), bulk=True)
    assert set(plan["action"]) <= {"UNCHANGED"}
    assert len(plan) == len(rows)


@settings(max_examples=200, deadline=None)
@given(keys, keys, st.booleans())
def test_creates_and_archives_are_the_set_differences(new: set[str], old: set[str], bulk: bool) -> None:
    plan = diff_entity(
        GUARDIANS, incoming(dict.fromkeys(new, "Ana")), existing(dict.fromkeys(old, "Ana")), bulk
    )
    by_key = actions(plan)
    assert {k for k, a in by_key.items() if a == "CREATED"} == new - old
    assert {k for k, a in by_key.items() if a == "ARCHIVED"} == (old - new if bulk else set())
    assert {k for k, a in by_key.items() if a == "UNCHANGED"} == new & old


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.from_regex(r"g-[0-9]{1,2}", fullmatch=True), st.tuples(names, names), max_size=10))
def test_an_update_lists_exactly_the_fields_that_differ(rows: dict[str, tuple[str, str]]) -> None:
    plan = diff_entity(
        GUARDIANS,
        incoming({k: new for k, (new, _) in rows.items()}),
        existing({k: old for k, (_, old) in rows.items()}),
        bulk=False,
    )
    for key, (new, old) in rows.items():
        row = plan[plan["key"] == key].iloc[0]
        assert row["action"] == ("UPDATED" if new != old else "UNCHANGED")
        assert row["changed"] == ("given_name" if new != old else "")
        assert (row["given_name"], row["old_given_name"]) == (new, old)


def test_records_out_of_scope_hand_made_or_already_archived_are_not_archived() -> None:
    roster = existing({"g-1": "Ana", "g-2": "Ben"}, archived={"g-2"})
    manual = existing({"": "Hand Made"})
    manual["sis_id"] = ""
    roster = pd.concat([roster, manual], ignore_index=True)
    assert diff_entity(GUARDIANS, incoming({}), roster, bulk=True)["key"].tolist() == ["g-1"]
    out_of_scope = existing({"g-1": "Ana"}, in_scope=False)
    assert diff_entity(GUARDIANS, incoming({}), out_of_scope, bulk=True).empty


def test_tobedeleted_archives_and_a_returning_record_is_unarchived() -> None:
    plan = diff_entity(
        GUARDIANS,
        incoming(
            {"g-1": "Ana", "g-2": "Ben", "g-3": "New"}, status={"g-1": "tobedeleted", "g-3": "tobedeleted"}
        ),
        existing({"g-1": "Ana", "g-2": "Ben"}, archived={"g-2"}),
        bulk=False,
    )
    assert actions(plan) == {"g-1": "ARCHIVED", "g-2": "UNARCHIVED", "g-3": "SKIPPED"}


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(st.from_regex(r"g-[0-9]{1,2}", fullmatch=True), names, max_size=10),
    st.dictionaries(st.from_regex(r"g-[0-9]{1,2}", fullmatch=True), names, max_size=10),
    st.sets(st.from_regex(r"g-[0-9]{1,2}", fullmatch=True), max_size=4),
    st.sets(st.from_regex(r"g-[0-9]{1,2}", fullmatch=True), max_size=4),
    st.booleans(),
    st.booleans(),
)
def test_the_diff_plans_as_pandas_outer_merge_would(
    new: dict[str, str],
    old: dict[str, str],
    deleting: set[str],
    archived: set[str],
    in_scope: bool,
    bulk: bool,
) -> None:
    upload = incoming(new, status=dict.fromkeys(deleting, "tobedeleted")).iloc[::-1]  # not in key order
    roster = existing(old, archived=archived, in_scope=in_scope).iloc[::-1]
    planned = diff_entity(GUARDIANS, upload, roster, bulk)
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(diff, "_joined", _merged)
        merged = diff_entity(GUARDIANS, upload, roster, bulk)
    pd.testing.assert_frame_equal(planned, merged)


def _merged(incoming: pd.DataFrame, existing: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return incoming.merge(existing, on=keys, how="outer", indicator=True, sort=False)

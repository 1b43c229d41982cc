"""List fields (School IDs, grades, terms) read item by item as a person reads them; the ID and email
rules, computed without Python's regular expressions, say what those expressions say."""

from __future__ import annotations

import re

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from roster_pipeline.frames import STRING
from roster_pipeline.schemas.checks import first_item, is_identifier, split_list
from roster_pipeline.schemas.vocabularies import EMAIL_PATTERN, ID_PATTERN

LIST_FIELDS = st.lists(st.none() | st.text(alphabet="ab, \t", max_size=8), max_size=20)


@settings(max_examples=200, deadline=None)
@given(LIST_FIELDS)
def test_first_item_is_the_text_before_the_first_comma_trimmed(fields: list[str | None]) -> None:
    series = pd.Series(fields, dtype=STRING, index=range(2, 2 + len(fields)))
    first = first_item(series)
    assert first.index.equals(series.index)
    assert first.tolist() == [pd.NA if f is None else f.split(",", 1)[0].strip() for f in fields]


@settings(max_examples=200, deadline=None)
@given(LIST_FIELDS.map(lambda fields: [f for f in fields if f is not None]))
def test_split_list_gives_every_trimmed_item_under_its_row(fields: list[str]) -> None:
    series = pd.Series(fields, dtype=STRING, index=range(2, 2 + len(fields)))
    items = split_list(series)
    expected = [
        (line, item.strip()) for line, f in zip(series.index, fields, strict=True) for item in f.split(",")
    ]
    assert list(zip(items.index, items.tolist(), strict=True)) == expected


# Around every edge of the two rules: allowed and refused ASCII, letters outside ASCII, Python's
# whitespace beyond ASCII (no-break and ideographic spaces), the separators an address cannot hold.
EDGE_TEXT = st.text(alphabet='aZ09._-/@:!, \t\u00a0\u3000\u2028\x1cé;<>()[]"', max_size=12)
OLD_EMAIL_PATTERN = r"[^@\s,;<>()\[\]\"]+@[^@\s,;<>()\[\]\"]+\.[^@\s,;<>()\[\]\".]{2,}"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.none() | EDGE_TEXT | st.text(alphabet="ab", min_size=254, max_size=257), max_size=12))
def test_an_id_is_valid_exactly_when_the_id_pattern_matches_it(values: list[str | None]) -> None:
    series = pd.Series(values, dtype=STRING, index=range(2, 2 + len(values)))
    checked = is_identifier(series)
    assert checked.index.equals(series.index)
    assert checked.tolist() == [v is not None and bool(re.fullmatch(ID_PATTERN, v)) for v in values]


def test_an_id_check_of_a_slice_looks_only_at_its_own_rows() -> None:
    series = pd.Series(["bad id", "ok-1", "", "é", "ok.2"], dtype=STRING)
    assert is_identifier(series.iloc[1:]).tolist() == [True, False, False, True]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.builds("{}@{}.{}".format, EDGE_TEXT, EDGE_TEXT, EDGE_TEXT) | EDGE_TEXT, max_size=12))
def test_the_email_rule_matches_what_it_did_with_pythons_whitespace_class(values: list[str]) -> None:
    series = pd.Series(values, dtype=STRING)
    assert series.str.fullmatch(EMAIL_PATTERN).tolist() == [
        bool(re.fullmatch(OLD_EMAIL_PATTERN, value)) for value in values
    ]
    # Arrow's engine runs it: pandas sends a pattern with \s through Python's, a row at a time.
    assert not series.array._needs_python_regex(EMAIL_PATTERN)


def test_no_whitespace_python_knows_of_passes_in_an_email() -> None:
    spaces = [chr(code) for code in range(0x110000) if chr(code).isspace()]
    series = pd.Series([f"a{space}b@example.org" for space in spaces], dtype=STRING)
    assert not series.str.fullmatch(EMAIL_PATTERN).any()
    assert pd.Series(["ab@example.org"], dtype=STRING).str.fullmatch(EMAIL_PATTERN).all()

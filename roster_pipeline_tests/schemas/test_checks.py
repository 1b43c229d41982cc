"""List fields (School IDs, grades, terms) read item by item as a person reads them."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from roster_pipeline.frames import STRING
from roster_pipeline.schemas.checks import first_item, split_list

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

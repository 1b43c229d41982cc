"""The Arrow shortcuts in frames.py give what the pandas calls they replace give."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from roster_pipeline.frames import STRING, as_text, from_codes, is_in, looked_up, row_keys

TEXTS = st.lists(st.none() | st.text(alphabet="ab é'", max_size=3), max_size=20)


@settings(max_examples=200, deadline=None)
@given(TEXTS)
def test_as_text_of_a_categorical_is_its_values_as_strings(values: list[str | None]) -> None:
    categorical = pd.Series(values, dtype="category", index=range(10, 10 + len(values)))
    expanded = as_text(categorical)
    assert expanded.dtype == STRING
    assert expanded.index.equals(categorical.index)
    assert expanded.tolist() == pd.Series(values, dtype=STRING, index=categorical.index).tolist()


@settings(max_examples=200, deadline=None)
@given(TEXTS, TEXTS)
def test_is_in_is_isin_with_missing_values_never_found(values: list[str | None], allowed: list[str | None]):
    series = pd.Series(values, dtype=STRING)
    wanted = [
        value is not None and value in {item for item in allowed if item is not None} for value in values
    ]
    assert is_in(series, pd.Series(allowed, dtype=STRING)).tolist() == wanted


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=-1, max_value=2), max_size=20))
def test_from_codes_picks_each_rows_label_and_minus_one_is_missing(codes: list[int]) -> None:
    labels = ["CREATED", "UPDATED", "é"]
    picked = from_codes(np.array(codes, dtype="int64"), labels, pd.RangeIndex(5, 5 + len(codes)))
    assert picked.dtype == STRING
    assert list(picked.index) == list(range(5, 5 + len(codes)))
    assert picked.tolist() == [labels[code] if code >= 0 else pd.NA for code in codes]


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.none() | st.sampled_from(["a", "b", "ab", ""]), st.sampled_from(["a", "b"])), max_size=20
    )
)
def test_row_keys_are_equal_exactly_where_every_column_is(rows: list[tuple[str | None, str]]) -> None:
    first = pd.Series([row[0] for row in rows], dtype=STRING, index=range(3, 3 + len(rows)))
    second = pd.Series([row[1] for row in rows], dtype=STRING, index=first.index)
    keys = row_keys(first, second)
    assert keys.index.equals(first.index)
    for i, left in enumerate(rows):
        for j, right in enumerate(rows):
            assert (keys.iloc[i] == keys.iloc[j]) == (left == right)


def test_row_keys_of_a_column_pandas_made_from_several() -> None:
    """A melted (wide to long) or concatenated column is chunked in Arrow: each chunk has its own codes."""
    wide = pd.DataFrame({"ell": ["true", "x"], "iep": ["x", "true"]}, dtype=STRING)
    values = wide.melt()["value"]
    assert row_keys(values).tolist() == [0, 1, 1, 0]


@settings(max_examples=200, deadline=None)
@given(TEXTS, st.dictionaries(st.text(alphabet="ab é'", max_size=3), st.text(alphabet="xy", max_size=2)))
def test_looked_up_is_map_with_missing_keys_missing(keys: list[str | None], table: dict[str, str]) -> None:
    series = pd.Series(keys, dtype=STRING, index=range(4, 4 + len(keys)))
    found = looked_up(series, pd.Series(table, dtype=STRING))
    assert found.index.equals(series.index)
    assert found.tolist() == [pd.NA if key is None or key not in table else table[key] for key in keys]

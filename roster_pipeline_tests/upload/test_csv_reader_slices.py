"""The reader finds quotes a slice of the file at a time (large files hold too many to keep at once):
wherever a slice ends (inside a quoted field, between the quotes of an escaped pair, on a newline), the
file reads exactly as it does when looked at whole."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from roster_pipeline.upload import csv_reader
from roster_pipeline.upload.csv_reader import read_csv_table

CELL = st.text(alphabet=list('ab ,"\n\r'), max_size=6)
ROW = st.lists(CELL, min_size=2, max_size=3)


def _quoted(cell: str) -> str:
    return '"' + cell.replace('"', '""') + '"'


def _as_read(data: bytes, slice_size: int, monkeypatch: pytest.MonkeyPatch) -> tuple:
    monkeypatch.setattr(csv_reader, "_SCAN_SLICE", slice_size)
    table = read_csv_table("x.csv", data)
    frame = None if table.frame is None else table.frame.reset_index().to_numpy().tolist()
    issues = table.issues[["line", "code"]].astype(str).to_numpy().tolist()
    return frame, issues


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(ROW, min_size=1, max_size=6),
    quote_all=st.booleans(),
    stray=st.booleans(),
    slice_size=st.integers(min_value=1, max_value=16),
)
def test_any_slice_size_reads_like_the_whole_file(
    rows: list[list[str]], quote_all: bool, stray: bool, slice_size: int
) -> None:
    body = "\n".join(",".join(_quoted(c) if quote_all or '"' in c else c for c in row) for row in rows)
    text = "a,b,c\n" + body + ('x"y\n' if stray else "\n")
    data = text.encode("utf-8")
    with pytest.MonkeyPatch.context() as monkeypatch:
        whole = _as_read(data, 1 << 30, monkeypatch)
        sliced = _as_read(data, slice_size, monkeypatch)
    assert sliced == whole


def test_an_unterminated_quote_is_found_across_slices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csv_reader, "_SCAN_SLICE", 4)
    table = read_csv_table("x.csv", b'a,b\n"1",2\n"3,4\n5,6\n')
    assert table.frame is None
    assert table.issues["code"].tolist() == ["unterminated_quote"]
    assert table.issues["line"].tolist() == [3]


def test_a_quoted_newline_keeps_the_start_line_across_slices(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csv_reader, "_SCAN_SLICE", 3)
    table = read_csv_table("x.csv", b'a,b\n"x\ny",1\nz,2\n')
    assert table.frame is not None
    pd.testing.assert_index_equal(table.frame.index, pd.Index([2, 4], name="line", dtype="int64"))
    assert table.frame["a"].tolist() == ["x\ny", "z"]

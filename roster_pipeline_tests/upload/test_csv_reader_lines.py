"""The reader first guesses that each line is a record (true of nearly every file) and keeps the guess
only when the parse bears it out: whatever the bytes, a file reads exactly as the full quote scan reads
it."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from roster_pipeline.upload import csv_reader
from roster_pipeline.upload.csv_reader import read_csv_table

TEXT = st.text(alphabet=list('ab ,"\n\r'), max_size=40)
CELL = st.text(alphabet=list('ab ,"\n'), max_size=5)


def _as_read(data: bytes) -> tuple:
    table = read_csv_table("x.csv", data)
    frame = None if table.frame is None else table.frame.reset_index().to_numpy().tolist()
    issues = table.issues[["line", "column", "value", "code"]].astype(str).to_numpy().tolist()
    return table.header, frame, issues


def _both_ways(data: bytes) -> tuple[tuple, tuple]:
    with pytest.MonkeyPatch.context() as monkeypatch:
        guessed = _as_read(data)
        monkeypatch.setattr(csv_reader, "_plainly_quoted", lambda line: False)
        scanned = _as_read(data)
    return guessed, scanned


@settings(max_examples=400, deadline=None)
@given(text=TEXT)
def test_any_text_reads_as_the_full_scan_reads_it(text: str) -> None:
    guessed, scanned = _both_ways(("a,b\n" + text).encode("utf-8"))
    assert guessed == scanned


@settings(max_examples=300, deadline=None)
@given(rows=st.lists(st.lists(CELL, min_size=2, max_size=3), min_size=1, max_size=5), header=TEXT)
def test_quoted_rows_under_any_header_read_as_the_full_scan_reads_them(
    rows: list[list[str]], header: str
) -> None:
    body = "\n".join(",".join('"' + cell.replace('"', '""') + '"' for cell in row) for row in rows)
    guessed, scanned = _both_ways(f"{header}\n{body}\n".encode())
    assert guessed == scanned


@pytest.mark.parametrize(
    ("data", "lines"),
    [
        (b'a,b\n"x\ny",1\nz,2\n', [2, 4]),  # a quoted line break: the guess fails, the scan reads it
        (b'a,b\n"1","2"\n\n"3","4"\n', [2, 4]),  # one line each, a blank line between
        (b'a,b\nO"Brien,1\n"x",2\n', [2, 3]),  # a quote inside a field, read literally
    ],
)
def test_each_record_keeps_the_line_it_starts_on(data: bytes, lines: list[int]) -> None:
    table = read_csv_table("x.csv", data)
    assert table.frame is not None
    assert table.frame.index.tolist() == lines


def test_a_header_whose_quote_runs_onto_the_next_line_is_not_taken_for_one_line() -> None:
    # Line by line, this reads as a header a,b and two rows; its first record really runs to line 2.
    data = b'a,"b\nc",d\n1,2\n'
    guessed, scanned = _both_ways(data)
    assert guessed == scanned
    assert read_csv_table("x.csv", data).issues["code"].tolist() == ["unterminated_quote"]


def test_a_long_field_in_a_file_with_stray_quotes_is_too_long_not_an_open_quote() -> None:
    # Stray quotes send the file to the csv module, which refused fields over 128 KiB: the file was
    # reported unreadable, with a quote left open on the long field's line.
    data = b'a,b\nO"Neil,1\nO"Brien,2\n' + b"x" * 131_073 + b",3\n"
    guessed, scanned = _both_ways(data)
    assert guessed == scanned
    issues = read_csv_table("x.csv", data).issues
    assert issues[["line", "code"]].astype(str).to_numpy().tolist() == [["4", "field_too_long"]]

"""Property tests: any bytes give a table or issues, never an exception; any well-formed CSV round-trips
with every record on the line where it starts."""

from __future__ import annotations

import csv
import io

from hypothesis import given, settings
from hypothesis import strategies as st

from roster_pipeline.upload.csv_reader import read_csv_table
from roster_pipeline.upload.members import UploadFiles
from roster_pipeline.validation.validate import validate_upload

CELL = st.text(
    alphabet=list('ab ,"\n\x01é’=+-'),
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_validate_or_produce_issues(data: bytes):
    upload = UploadFiles("memory", files={"users.csv": data, "enrollments.csv": data[::-1]})
    result = validate_upload(upload)
    assert set(result.issues.columns) >= {"file", "line", "column", "value", "code", "message"}
    assert result.issues["code"].notna().all()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.lists(CELL, min_size=3, max_size=3), min_size=1, max_size=8))
def test_well_formed_csv_round_trips_with_start_lines(records: list[list[str]]):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(["a", "b", "c"])
    expected_lines = []
    line = 2
    for record in records:
        start = buffer.tell()
        writer.writerow(record)
        written = buffer.getvalue()[start:]
        expected_lines.append(line)
        line += written.count("\n")
    table = read_csv_table("x.csv", buffer.getvalue().encode("utf-8"))
    kept = [
        (number, [cell.strip() for cell in record])
        for number, record in zip(expected_lines, records, strict=True)
    ]
    assert table.frame is not None
    assert table.frame.index.tolist() == [number for number, _ in kept]
    assert table.frame.to_numpy().tolist() == [cells for _, cells in kept]
    assert table.issues.empty

"""Property tests: any bytes give a table or issues, never an exception; any well-formed CSV round-trips
with every record on the line where it starts."""

from __future__ import annotations

import csv
import io
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from roster_pipeline.codes import CODES
from roster_pipeline.reports.writer import results_files
from roster_pipeline.upload.csv_reader import CsvTable, read_csv_table
from roster_pipeline.upload.decoding import BOM
from roster_pipeline.upload.errors import UploadUnreadable
from roster_pipeline.upload.limits import UploadLimits
from roster_pipeline.upload.members import UploadFiles
from roster_pipeline.upload.sources import read_upload
from roster_pipeline.validation.scope import UploadContext
from roster_pipeline.validation.validate import ValidatedUpload, validate_upload
from roster_pipeline_tests.conftest import SAMPLE_UPLOAD

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


# --- Fuzzing with a large budget: the reader, validation and zip members never crash ---------------------
#
# Each fuzz test has a default budget CI affords (about 20 s for all of them); ROSTER_FUZZ_EXAMPLES sets the
# examples of every fuzz test instead. The big run, 100k examples per test: `scripts/fuzz_reader.sh`.
# A crash is any exception other than UploadUnreadable from read_upload: bad input must become issues.


def fuzz(default_examples: int) -> settings:
    examples = int(os.environ.get("ROSTER_FUZZ_EXAMPLES", default_examples))
    return settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )


SAMPLE_FILES = {path.name: path.read_bytes() for path in sorted(SAMPLE_UPLOAD.glob("*.csv"))}
ROSTER = UploadContext(
    school_ids=frozenset({"sch-0101", "sch-0102"}),
    existing_user_ids=frozenset({"0001001", "t-0101"}),
    existing_student_ids=frozenset({"0001001"}),
    existing_class_ids=frozenset({"c-0101-hr3"}),
    school_ids_from_roster=True,
)
# Bytes that break CSV files in the wild: quotes, NULs, BOMs, line ends, separators, invalid UTF-8.
NASTY = [
    b'"', b'""', b"\x00", BOM, b"\r", b"\n", b"\r\n", b"\n\r",
    b",", b",,", b"\xff", b"\xe9", b"\xc3", b"\x81", b"\t",
]  # fmt: skip


@st.composite
def mutated(draw: st.DrawFn, original: bytes) -> bytes:
    """A valid file with some bytes flipped, nasties inserted, ranges cut, lines repeated, line ends mixed."""
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 8))):
        kind = draw(st.sampled_from(["flip", "insert", "cut", "repeat", "line_ends", "truncate"]))
        at = draw(st.integers(0, len(data))) if data else 0
        if kind == "flip" and at < len(data):
            data[at] ^= draw(st.integers(1, 255))
        elif kind == "insert":
            data[at:at] = draw(st.sampled_from(NASTY) | st.binary(min_size=1, max_size=4))
        elif kind == "cut":
            del data[at : at + draw(st.integers(1, 40))]
        elif kind == "repeat":
            start = data.rfind(b"\n", 0, at) + 1
            end = data.find(b"\n", at)
            line = bytes(data[start : end + 1 if end >= 0 else len(data)])
            data[start:start] = line * draw(st.integers(1, 3))
        elif kind == "line_ends":
            data = bytearray(data.replace(b"\n", draw(st.sampled_from([b"\r\n", b"\r", b"\n\n", b"\r\r\n"]))))
        elif kind == "truncate":
            del data[at:]
    return bytes(data)


def mutated_file() -> st.SearchStrategy[tuple[str, bytes]]:
    return st.sampled_from(sorted(SAMPLE_FILES)).flatmap(
        lambda name: st.tuples(st.just(name), mutated(SAMPLE_FILES[name]))
    )


def check_table(table: CsvTable) -> None:
    """What every reader result must look like, however bad the input."""
    assert set(table.issues["code"]) <= set(CODES), table.issues
    if table.frame is not None:
        lines = table.frame.index.to_numpy()
        assert (lines >= 1).all() and (np.diff(lines) > 0).all(), lines
        assert len(table.frame.columns) == len(table.header)


def check_validated(validated: ValidatedUpload) -> None:
    assert set(validated.issues["code"]) <= set(CODES)
    lines = validated.issues["line"].dropna()
    assert (lines >= 1).all()
    results_files(validated, None, "NOT_IMPORTED")  # the results a rejected upload gets, written too


@fuzz(1000)
@given(st.binary(max_size=3000) | st.text(max_size=600).map(lambda text: text.encode("utf-8")))
def test_fuzz_the_reader_with_arbitrary_bytes(data: bytes) -> None:
    check_table(read_csv_table("users.csv", data, UploadLimits(max_field_chars=64)))


@fuzz(500)
@given(mutated_file())
def test_fuzz_the_reader_with_mutated_sample_files(named: tuple[str, bytes]) -> None:
    check_table(read_csv_table(*named))


@fuzz(60)
@given(mutated_file(), st.sampled_from([(), ("users.csv",), ("users.csv", "classes.csv")]))
def test_fuzz_validation_with_a_mutated_file_among_good_ones(
    named: tuple[str, bytes], others: tuple[str, ...]
) -> None:
    name, data = named
    files = {"orgs.csv": SAMPLE_FILES["orgs.csv"], **{other: SAMPLE_FILES[other] for other in others}}
    check_validated(validate_upload(UploadFiles("memory", files={**files, name: data}), ROSTER))


MEMBER_PARTS = [
    "..", ".", "", "a", "export", "C:", "c:\\x", "__MACOSX", ".hidden", "%2e%2e", "．．", "users.csv",
    "USERS.CSV", "classes.csv", "old.zip", "x.tar.gz", "notes.txt", "manifest.csv", "é.csv", "\\",
]  # fmt: skip
# zipfile cannot write an empty name (nor one it cuts at a NUL); the corrupted-zip test reaches those.
MEMBER_NAME = (
    st.lists(st.sampled_from(MEMBER_PARTS), min_size=1, max_size=4).map("/".join) | st.text(max_size=30)
).filter(lambda name: name.split("\x00")[0] != "")
MEMBER_DATA = (
    st.sampled_from(sorted(SAMPLE_FILES)).flatmap(lambda name: mutated(SAMPLE_FILES[name]))
    | st.sampled_from(list(SAMPLE_FILES.values()))
    | st.binary(max_size=300)
)


@pytest.fixture(scope="module")
def zip_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz_zips")


def read_and_validate(path: Path) -> None:
    """read_upload may refuse the whole upload (UploadUnreadable); anything else it says is issues."""
    try:
        files = read_upload(str(path), UploadLimits(max_file_bytes=20_000, max_upload_bytes=60_000))
    except UploadUnreadable as error:
        assert error.code in CODES
        return
    check_validated(validate_upload(files, ROSTER))


@fuzz(60)
@given(
    st.dictionaries(MEMBER_NAME, MEMBER_DATA, max_size=6),
    st.dictionaries(MEMBER_NAME, st.integers(0, 2**40), max_size=2),
    st.booleans(),
    st.sampled_from([zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA]),
)
def test_fuzz_zip_archives_with_arbitrary_members(
    zip_folder: Path, members: dict[str, bytes], claims: dict[str, int], utf8_names: bool, method: int
) -> None:
    path = zip_folder / "upload.zip"
    with zipfile.ZipFile(path, "w", compression=method) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        for info in archive.infolist():
            info.file_size = claims.get(info.filename, info.file_size)
            info.flag_bits |= 0x800 if utf8_names else 0
    read_and_validate(path)


SAMPLE_ZIP = io.BytesIO()
with zipfile.ZipFile(SAMPLE_ZIP, "w", compression=zipfile.ZIP_DEFLATED) as _archive:
    for _name, _data in SAMPLE_FILES.items():
        _archive.writestr(f"export/{_name}", _data)


@fuzz(150)
@given(mutated(SAMPLE_ZIP.getvalue()))
def test_fuzz_corrupted_zip_bytes(zip_folder: Path, data: bytes) -> None:
    path = zip_folder / "corrupted.zip"
    path.write_bytes(data)
    read_and_validate(path)


# Letters Windows-1252 writes as one byte from 0xC0 up: alone before an ASCII character, such a byte is
# never UTF-8, so the reader must take it for Windows-1252 and leave the UTF-8 around it as written.
LATIN_LETTERS = st.sampled_from([chr(code) for code in range(0xC0, 0x100) if chr(code).isalpha()])
UTF8_WORDS = st.text(alphabet=list("abcXYZ 09.-éüßŁżçø’"), max_size=8)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(UTF8_WORDS, st.none() | LATIN_LETTERS), min_size=1, max_size=12))
def test_windows_1252_bytes_in_a_utf8_file_leave_the_utf8_text_as_written(parts: list):
    text = "".join(word + (letter + "x" if letter else "") for word, letter in parts)
    data = b"".join(
        word.encode() + (letter.encode("cp1252") + b"x" if letter else b"") for word, letter in parts
    )
    table = read_csv_table("users.csv", b'id,name\n1,"' + data.replace(b'"', b'""') + b'"\n')
    assert table.frame["name"].tolist() == [text.strip()]
    fallback = any(letter for _, letter in parts)
    assert table.issues["code"].tolist() == (["encoding_fallback"] if fallback else [])

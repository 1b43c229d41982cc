"""The synthetic district generator: deterministic, realistic in shape, internally consistent."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from roster_pipeline.synthetic.generate import HEADERS, generate_district, main

N = 2000
ID = re.compile(r"[0-9A-Za-z._\-/@:]{1,255}")
GRADES = {"KG", *[f"{n:02d}" for n in range(1, 13)]}


Files = dict[str, pd.DataFrame]


def read(out: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(out / name, dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def district(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, int], Files]:
    out = tmp_path_factory.mktemp("district")
    counts = generate_district(out, N, seed=11)
    return counts, {name: read(out, name) for name in HEADERS}


@pytest.fixture(scope="module")
def files(district) -> Files:
    return district[1]


def test_same_seed_gives_byte_identical_files(tmp_path: Path) -> None:
    first = generate_district(tmp_path / "a", 300, seed=3)
    second = generate_district(tmp_path / "b", 300, seed=3)
    assert first == second
    for name in HEADERS:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    generate_district(tmp_path / "c", 300, seed=4)
    other = (tmp_path / "c" / "users.csv").read_bytes()
    assert (tmp_path / "a" / "users.csv").read_bytes() != other


def test_headers_are_exact_and_counts_match_the_files(district) -> None:
    counts, files = district
    assert set(counts) == set(HEADERS)
    for name, frame in files.items():
        assert tuple(frame.columns) == HEADERS[name], name
        assert counts[name] == len(frame), name
        assert not frame.isna().any().any(), name


def test_row_counts_are_roughly_as_specified(files) -> None:
    users, orgs = files["users.csv"], files["orgs.csv"]
    assert (users["role"] == "student").sum() == N
    teachers = (users["role"] == "teacher").sum()
    assert N / 20 <= teachers <= N / 13
    assert 1 <= (users["role"] == "administrator").sum() <= 10
    assert set(users["role"]) == {"student", "teacher", "administrator"}
    assert len(orgs) == 1 + max(2, N // 700)
    enrollments = files["enrollments.csv"]
    assert 6 <= (enrollments["role"] == "student").sum() / N <= 8
    assert 1.3 <= len(files["guardians.csv"]) / N <= 1.7
    classes = files["classes.csv"]
    assert (enrollments["role"] == "teacher").sum() == len(classes)


def test_orgs_and_manifest(files) -> None:
    orgs = files["orgs.csv"]
    district, schools = orgs.iloc[0], orgs.iloc[1:]
    assert (district["sourcedId"], district["type"], district["parentSourcedId"]) == (
        "dist-001",
        "district",
        "",
    )
    assert list(schools["sourcedId"]) == ["sch-0001", "sch-0002"]
    assert set(schools["type"]) == {"school"} and set(schools["parentSourcedId"]) == {"dist-001"}
    assert set(orgs["dateLastModified"]) == {"2026-08-01T00:00:00Z"}
    manifest = dict(files["manifest.csv"].to_numpy().tolist())
    assert manifest["manifest.version"] == "1.0" and manifest["oneroster.version"] == "1.1"
    for name in HEADERS:
        if name not in ("manifest.csv",):
            assert manifest[f"file.{name.removesuffix('.csv')}"] == "bulk"


def test_enrollments_reference_classes_users_and_the_class_school(files) -> None:
    classes, users, enrollments = files["classes.csv"], files["users.csv"], files["enrollments.csv"]
    assert enrollments["classSourcedId"].isin(classes["sourcedId"]).all()
    assert enrollments["userSourcedId"].isin(users["sourcedId"]).all()
    class_school = classes.set_index("sourcedId")["schoolSourcedId"]
    assert (enrollments["schoolSourcedId"] == enrollments["classSourcedId"].map(class_school)).all()
    assert not enrollments.duplicated(["classSourcedId", "userSourcedId"]).any()
    assert enrollments["sourcedId"].is_unique
    assert (enrollments["beginDate"] <= enrollments["endDate"]).all()
    # Users are enrolled in their own role and only in classes of their own school.
    user = users.set_index("sourcedId")
    assert (enrollments["role"] == enrollments["userSourcedId"].map(user["role"])).all()
    own = enrollments["userSourcedId"].map(user["orgSourcedIds"]).str.split(",")
    pairs = zip(enrollments["schoolSourcedId"], own, strict=True)
    assert all(school in mine for school, mine in pairs)
    # Every class has exactly one primary teacher.
    teachers = enrollments[enrollments["role"] == "teacher"]
    assert teachers["classSourcedId"].is_unique and set(teachers["primary"]) == {"true"}
    per_student = enrollments[enrollments["role"] == "student"].groupby("userSourcedId").size()
    assert len(per_student) == N and per_student.between(6, 8).all()


def test_classes(files) -> None:
    classes, orgs = files["classes.csv"], files["orgs.csv"]
    assert classes["sourcedId"].is_unique
    assert classes["schoolSourcedId"].isin(orgs["sourcedId"].iloc[1:]).all()
    assert set(classes["grades"]) <= GRADES
    assert set(classes["periods"]) <= {str(p) for p in range(1, 9)}
    assert set(classes["termSourcedIds"]) == {"term-2026"}
    assert classes["title"].str.fullmatch(r".+ (K|\d{1,2}) - P[1-8]").all()


def test_students(files) -> None:
    users, orgs = files["users.csv"], files["orgs.csv"]
    students = users[users["role"] == "student"]
    assert students["sourcedId"].str.fullmatch(r"\d{7,}").all()
    assert students["sourcedId"].str.startswith("0").any()
    assert students["orgSourcedIds"].isin(orgs["sourcedId"].iloc[1:]).all()
    assert set(students["grades"]) <= GRADES
    assert set(students["enabledUser"]) == {"true"} and set(students["status"]) == {"active"}
    assert (students["password"] == "").all() and (users["agentSourcedIds"] == "").all()
    assert students["identifier"].is_unique
    emails = students.loc[students["email"] != "", "email"]
    assert 0.4 <= len(emails) / N <= 0.6
    assert emails.is_unique and emails.str.endswith("@students.example.org").all()


def test_student_ids_keep_leading_zeros_when_read_back(files) -> None:
    students = files["users.csv"].query("role == 'student'")["sourcedId"]
    assert students.iloc[0] == "0000001"
    guardians = files["guardians.csv"]["studentSourcedId"]
    assert guardians.str.fullmatch(r"0\d{6}").all()


def test_names_include_accents_and_apostrophes(files) -> None:
    users = files["users.csv"]
    names = pd.concat([users["givenName"], users["familyName"]])
    assert names.map(lambda s: not s.isascii()).any()
    assert names.str.contains("'").any()
    assert (users["givenName"] != "").all() and (users["familyName"] != "").all()


def test_staff_have_unique_emails_and_sensible_schools(files) -> None:
    users, orgs = files["users.csv"], files["orgs.csv"]
    staff = users[users["role"] != "student"]
    assert (staff["email"] != "").all() and staff["email"].is_unique
    assert (staff["grades"] == "").all()
    schools = set(orgs["sourcedId"].iloc[1:])
    assert all(set(value.split(",")) <= schools for value in staff["orgSourcedIds"])


def test_guardians(files) -> None:
    guardians, users = files["guardians.csv"], files["users.csv"]
    students = users.loc[users["role"] == "student", "sourcedId"]
    assert guardians["studentSourcedId"].isin(students).all()
    assert guardians.groupby("studentSourcedId").size().max() <= 6
    assert set(students) == set(guardians["studentSourcedId"])
    assert ((guardians["email"] != "") | (guardians["sms"] != "")).all()
    emails = guardians.loc[guardians["email"] != "", "email"]
    assert len(emails) / len(guardians) > 0.8 and emails.is_unique
    assert set(guardians["relationship"]) <= {"parent", "guardian", "relative", "other"}
    assert guardians["language"].str.fullmatch(r"[a-z]{2}").all()
    # A guardian that appears twice appears with the same name and contacts.
    details = ["guardianSourcedId", "givenName", "familyName", "email", "sms", "phone"]
    assert guardians[details].drop_duplicates()["guardianSourcedId"].is_unique
    assert not (users["role"].isin(["parent", "guardian", "relative"])).any()


def test_student_attributes(files) -> None:
    attributes, users = files["student_attributes.csv"], files["users.csv"]
    assert not attributes.duplicated(["studentSourcedId", "attribute"]).any()
    assert set(attributes["attribute"]) == {"birthDate", "ell", "iep", "frl"}
    flags = attributes[attributes["attribute"] != "birthDate"]
    assert set(flags["value"]) == {"true", "false"}
    births = attributes[attributes["attribute"] == "birthDate"].set_index("studentSourcedId")
    students = users[users["role"] == "student"].set_index("sourcedId")
    assert births.index.is_unique and set(births.index) == set(students.index)
    born = pd.to_datetime(births["value"], format="%Y-%m-%d")
    grade = students["grades"].replace("KG", "00").astype(int).reindex(born.index)
    # Age on 2026-09-01 is about 5 + grade (a few students are a year off).
    age = (pd.Timestamp("2026-09-01") - born).dt.days / 365.25
    assert (age - (5 + grade)).between(-1.1, 2.1).all()
    assert ((age - (5 + grade)).between(0, 1.01)).mean() > 0.9


def test_ids_are_valid(files) -> None:
    columns = {
        "users.csv": ["sourcedId"],
        "classes.csv": ["sourcedId", "schoolSourcedId", "courseSourcedId", "termSourcedIds"],
        "enrollments.csv": ["sourcedId", "classSourcedId", "schoolSourcedId", "userSourcedId"],
        "guardians.csv": ["studentSourcedId", "guardianSourcedId"],
        "orgs.csv": ["sourcedId"],
        "student_attributes.csv": ["studentSourcedId"],
    }
    for name, names in columns.items():
        for column in names:
            assert files[name][column].str.fullmatch(ID.pattern).all(), (name, column)
    assert files["users.csv"]["sourcedId"].is_unique


def test_multi_school_teachers_are_quoted_lists(tmp_path: Path) -> None:
    generate_district(tmp_path, 3000, seed=7, schools=6)
    raw = (tmp_path / "users.csv").read_text(encoding="utf-8")
    assert re.search(r'"sch-\d{4},sch-\d{4}"', raw)
    users = read(tmp_path, "users.csv")
    assert users.loc[users["role"] == "teacher", "orgSourcedIds"].str.contains(",").any()
    assert len(read(tmp_path, "orgs.csv")) == 7


def test_main_prints_counts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([str(tmp_path), "--students", "300", "--seed", "5", "--schools", "3"]) == 0
    printed = capsys.readouterr().out
    assert "enrollments.csv" in printed
    assert len(read(tmp_path, "orgs.csv")) == 4
    assert len(read(tmp_path, "users.csv").query("role == 'student'")) == 300


def test_rejects_empty_district(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        generate_district(tmp_path, 0)

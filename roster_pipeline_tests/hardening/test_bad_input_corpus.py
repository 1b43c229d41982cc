"""The bad input corpus: malformed uploads a SIS, a person or an attacker could send, each run end to end
through the real import with commit=True against a roster that already holds a committed import.

For every case: exactly the expected ERROR codes are reported (at the expected file, line and column),
the import is rejected and changes nothing in any tenant's roster, and the results are written (every
file of the upload gets its results CSV, every row NOT_IMPORTED, errors.csv lists the codes). Cases that
only deserve a warning (an unknown file, a nested zip, a Windows-1252 file) are accepted and still change
nothing, because apart from the oddity they are the upload already committed.

An upload that cannot be opened at all (a corrupt zip, 10 GB of claimed files) is a rejected run whose
results name the reason as an issue of the whole upload, and the outcome carries the UploadUnreadable
naming the upload (the CLI's "cannot run", exit 2), as the Dagster import does
(roster_pipeline_tests/defs/test_import_assets.py, test_an_unreadable_upload_is_rejected_with_results).

Two rosters share one database: the demo district (district-0042, the sample upload) and the fixture
district (district-0001, schools sch-1 and sch-2, the `_clean` upload of fixtures/bad_uploads/), so
School IDs and SIS IDs of the other tenant are at hand for cross-tenant cases.
"""

# One case per line reads better than a wrapped table (as in validation/test_every_code.py).
# ruff: noqa: E501

from __future__ import annotations

import csv
import hashlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, select

from roster_pipeline.apply.runs import COMMITTED, REJECTED
from roster_pipeline.codes import CODES
from roster_pipeline.issues import ERROR
from roster_pipeline.plan.actions import CHANGING, NOT_IMPORTED
from roster_pipeline.roster.fixtures import load_fixture, load_fixture_file
from roster_pipeline.roster.models import Base, ImportRun
from roster_pipeline.samples import demo_tenant_path
from roster_pipeline.upload.limits import UploadLimits
from roster_pipeline.validation.settings import ReaderSettings
from roster_pipeline_tests.conftest import BACKENDS, SAMPLE_UPLOAD, migrated_engine
from roster_pipeline_tests.hardening.builders import (
    BAD_UPLOADS,
    BOM,
    CLEAN,
    GIB,
    PDF,
    PNG,
    SAMPLE,
    Build,
    append,
    clean_with,
    drop_column,
    encoded,
    fixture_folder,
    gzipped,
    input_digest,
    only,
    replace,
    replace_bytes,
    sample_part,
    sample_with,
    sample_with_symlink,
    single_file,
    then,
    truncated,
    zip_bytes,
    zipped,
)
from roster_pipeline_tests.importing import DEMO, import_upload

OTHER = "district-0001"  # the fixture district: dist-1 with schools sch-1, sch-2
OTHER_TENANT = {
    "tenant": OTHER,
    "name": "Lakeside District",
    "sis_id": "dist-1",
    "schools": [
        {"name": "Maple Elementary", "school_id": "sch-1"},
        {"name": "Cedar Middle", "school_id": "sch-2"},
    ],
}

# Categories, for the counts the reliability report quotes.
ENCODING = "encoding and binary content"
QUOTING = "broken quoting"
RAGGED = "ragged rows"
COLUMNS = "missing, duplicated and empty columns/files"
SIZE = "giant fields, files and zip bombs"
ZIP = "zip structure (traversal, nesting, corruption)"
FILES = "unknown, missing and hidden files"
REFERENCES = "dangling references"
DUPLICATES = "conflicting duplicate IDs"
ROLES = "roles"
TENANTS = "cross-tenant IDs"
VALUES = "invalid values"
CATEGORIES = (
    ENCODING,
    QUOTING,
    RAGGED,
    COLUMNS,
    SIZE,
    ZIP,
    FILES,
    REFERENCES,
    DUPLICATES,
    ROLES,
    TENANTS,
    VALUES,
)


@dataclass(frozen=True)
class Case:
    """One malformed upload. ``expect``: `file:line:column:code` (line and column empty for a file-level
    issue); ERROR codes must match exactly, WARNING codes must be among those reported."""

    name: str
    category: str
    build: Build
    expect: tuple[str, ...]
    tenant: str = DEMO
    limits: UploadLimits | None = None

    def expected(self) -> set[tuple[str, int | None, str, str]]:
        rows = set()
        for item in self.expect:
            file, line, column, code = item.split(":")
            rows.add((file, int(line) if line else None, column, code))
        return rows

    def codes(self, severity: str) -> set[str]:
        return {code for *_, code in self.expected() if CODES[code].severity == severity}

    @property
    def unreadable(self) -> bool:
        return any(code.startswith("upload_") for *_, code in self.expected())


def case(
    name: str,
    category: str,
    build: Build,
    *expect: str,
    tenant: str = DEMO,
    limits: UploadLimits | None = None,
) -> Case:
    return Case(name, category, build, expect, tenant, limits)


def fixture(code: str, category: str) -> Case:
    """A folder of the issue-code corpus, imported into the fixture district's roster."""
    with (BAD_UPLOADS / code / "expected.csv").open(newline="", encoding="utf-8") as handle:
        expect = tuple(":".join(row.values()) for row in csv.DictReader(handle))
    return Case(f"fixture-{code}", category, fixture_folder(code), expect, tenant=OTHER)


def enrollment(key: str, klass: str, school: str, user: str, role: str) -> str:
    return f"{key},{klass},{school},{user},{role},false,2026-08-20,2027-06-10,active"


def guardian(student: str, key: str, given: str, family: str, email: str) -> str:
    return f"{student},{key},{given},{family},{email},,,parent,en"


ENROLLMENTS_HEADER = (
    "sourcedId,classSourcedId,schoolSourcedId,userSourcedId,role,primary,beginDate,endDate,status\n"
)
GUARDIANS_HEADER = (
    "studentSourcedId,guardianSourcedId,givenName,familyName,email,sms,phone,relationship,language\n"
)
DELTA = "propertyName,value\nfile.{},delta\n"
DEMOGRAPHICS = "sourcedId,birthDate,sex\n0001001,2017-04-12,female\n"
SESSIONS = "sourcedId,title,type,startDate,endDate\nterm-2026,2026-27,schoolYear,2026-08-20,2027-06-10\n"
# The sample zipped as is (cases that must be accepted), or only its orgs and users (cases rejected for
# the zip's structure alone): hostile members are added to either.
SAMPLE_ZIP = dict(SAMPLE)
SMALL_ZIP = {name: SAMPLE[name] for name in ("orgs.csv", "users.csv")}
TEN_GB_OF_FILES = {
    name: b"sourcedId\nx\n"
    for name in (
        *SAMPLE,
        "academicSessions.csv",
        "courses.csv",
        "demographics.csv",
    )
}
LIMIT_4K = UploadLimits(max_file_bytes=4096)
LIMIT_6K_UPLOAD = UploadLimits(max_upload_bytes=6 * 1024)


CASES: list[Case] = [
    # --- encodings and binary content ---
    case("users-utf16", ENCODING, sample_part({"users.csv": encoded("utf-16")}), "users.csv:::not_text"),
    case("classes-utf32", ENCODING, sample_part({"classes.csv": encoded("utf-32-le")}), "classes.csv:::not_text"),
    case("users-byte-undefined-in-cp1252", ENCODING, sample_part({"users.csv": replace_bytes("Zoë", b"Zo\x81")}), "users.csv:::not_text"),
    case("enrollments-nul-in-a-field", ENCODING, sample_part({"enrollments.csv": replace_bytes("e-0005", b"e-00\x005")}), "enrollments.csv:::not_text"),
    case("users-is-a-png", ENCODING, sample_part({"users.csv": PNG}), "users.csv:::not_text"),
    case("classes-is-a-zip", ENCODING, sample_part({"classes.csv": zip_bytes({"classes.csv": SAMPLE["classes.csv"]})}), "classes.csv:::not_text"),
    case("guardians-is-gzipped", ENCODING, sample_part({"guardians.csv": gzipped}), "guardians.csv:::not_text"),
    case("attributes-bom-only", ENCODING, sample_part({"student_attributes.csv": BOM}), "student_attributes.csv:::empty_file"),
    case("users-windows-1252", ENCODING, sample_with({"users.csv": encoded("cp1252")}), "users.csv:::encoding_fallback"),
    # One Windows-1252 byte in a UTF-8 file: the file's other names (Amélie, Björn Müller) stay as written.
    case("users-one-windows-1252-name", ENCODING, sample_with({"users.csv": replace_bytes("Zoë", b"Zo\xeb")}), "users.csv:::encoding_fallback"),
    # --- broken quoting ---
    case("users-quote-open-to-the-end", QUOTING, sample_part({"users.csv": replace('"sch-0101,sch-0102",administrator', '"sch-0101,sch-0102,administrator')}), "users.csv:13::unterminated_quote"),
    case("classes-quote-open-in-header", QUOTING, sample_part({"classes.csv": replace("sourcedId,status,title", 'sourcedId,"status,title')}), "classes.csv:1::unterminated_quote"),
    case("guardians-stray-quote-then-open-quote", QUOTING, sample_part({"guardians.csv": then(replace("Siobhán,", 'Siobhán "Shiv",'), replace("Lucía,", '"Lucía,'))}), "guardians.csv:5::unterminated_quote"),
    case("enrollments-newline-inside-a-quoted-id", QUOTING, sample_part({"enrollments.csv": replace("e-0005,c-0101-hr4,", 'e-0005,"c-0101\n-hr4",')}), "enrollments.csv:6:classSourcedId:invalid_id", "enrollments.csv:6:classSourcedId:unknown_class"),
    fixture("unterminated_quote", QUOTING),
    # --- ragged rows ---
    fixture("ragged_row", RAGGED),
    case("enrollments-extra-field", RAGGED, sample_part({"enrollments.csv": replace("0001003,student,false,2026-08-20,2027-06-10,active", "0001003,student,false,2026-08-20,2027-06-10,active,extra")}), "enrollments.csv:6::ragged_row"),
    case("classes-row-cut-short", RAGGED, sample_part({"classes.csv": replace("Grade 4 Homeroom,04,,HR4,homeroom,Room 14,sch-0101,term-2026,,", "Grade 4 Homeroom")}), "classes.csv:3::ragged_row"),
    case("users-header-trailing-comma", RAGGED, sample_with({"users.csv": replace("grades,password", "grades,password,")}), *(f"users.csv:{line}::ragged_row" for line in range(2, 15))),
    # --- missing, duplicated and empty columns and files ---
    fixture("missing_column", COLUMNS),
    fixture("duplicate_column", COLUMNS),
    fixture("empty_file", COLUMNS),
    fixture("no_rows", COLUMNS),
    case("classes-without-school-column", COLUMNS, sample_part({"classes.csv": drop_column("schoolSourcedId")}), "classes.csv:1:schoolSourcedId:missing_column"),
    case("enrollments-without-user-column", COLUMNS, sample_part({"enrollments.csv": drop_column("userSourcedId")}), "enrollments.csv:1:userSourcedId:missing_column"),
    case("users-alias-and-standard-name", COLUMNS, sample_part({"users.csv": replace("middleName,identifier", "middleName,sourceId")}), "users.csv:1:sourceId:duplicate_column"),
    case("guardians-email-twice-in-other-case", COLUMNS, sample_part({"guardians.csv": replace("email,sms", "email,EMAIL")}), "guardians.csv:1:EMAIL:duplicate_column"),
    case("manifest-header-only", COLUMNS, sample_part({"manifest.csv": "propertyName,value\n"}), "manifest.csv:1::no_rows"),
    case("attributes-whitespace-only", COLUMNS, sample_part({"student_attributes.csv": "  \n \r\n\t\n"}), "student_attributes.csv:::empty_file"),
    # --- giant fields, files and zip bombs ---
    case("users-5000-char-name", SIZE, sample_part({"users.csv": replace("Noah,Ng", "N" * 5000 + ",Ng")}), "users.csv:5:givenName:field_too_long"),
    case("classes-100k-char-title", SIZE, sample_part({"classes.csv": replace("Math 7 - P1", "M" * 100_000)}), "classes.csv:4:title:field_too_long"),
    case("users-300-char-id", SIZE, sample_part({"users.csv": replace("0001004,active", "9" * 300 + ",active")}), "users.csv:5:sourcedId:invalid_id"),
    case("users-file-over-the-limit", SIZE, sample_part({"users.csv": replace("S-1004", "S-1004" + "0" * 4000)}), "users.csv:::file_too_large", limits=LIMIT_4K),
    case("upload-over-the-limit", SIZE, sample_with({"demographics.csv": DEMOGRAPHICS + "0001002,2017-09-30,male\n" * 100}), "(upload):::upload_too_large", limits=LIMIT_6K_UPLOAD),
    case("zip-member-claims-10gb", SIZE, zipped(SAMPLE_ZIP, claims={"users.csv": 10 * GIB}), "users.csv:::file_too_large"),
    case("zip-claims-10gb-in-all", SIZE, zipped(TEN_GB_OF_FILES, claims=dict.fromkeys(TEN_GB_OF_FILES, GIB)), "(upload):::upload_too_large"),
    case("zip-bomb-size-lie", SIZE, zipped(SAMPLE_ZIP, claims={"enrollments.csv": 100}), "(upload):::upload_unreadable"),
    # --- zip structure ---
    case("zip-dot-dot-member", ZIP, zipped({**SMALL_ZIP, "../users.csv": SAMPLE["users.csv"]}), "(upload):::unsafe_path"),
    case("zip-absolute-member", ZIP, zipped({**SMALL_ZIP, "/etc/roster/classes.csv": SAMPLE["classes.csv"]}), "(upload):::unsafe_path"),
    case("zip-drive-letter-member", ZIP, zipped({**SMALL_ZIP, "C:/roster/orgs.csv": SAMPLE["orgs.csv"]}), "(upload):::unsafe_path"),
    case("zip-backslash-dot-dot-member", ZIP, zipped({**SMALL_ZIP, "..\\..\\enrollments.csv": SAMPLE["enrollments.csv"]}), "(upload):::unsafe_path"),
    case("zip-dot-dot-inside-a-folder", ZIP, zipped({**SMALL_ZIP, "export/../../guardians.csv": SAMPLE["guardians.csv"]}), "(upload):::unsafe_path"),
    case("zip-same-file-in-two-folders", ZIP, zipped({**{f"maple/{n}": d for n, d in SMALL_ZIP.items()}, "cedar/users.csv": SAMPLE["users.csv"]}), "users.csv:::duplicate_file"),
    case("zip-same-file-other-case", ZIP, zipped({**SMALL_ZIP, "USERS.CSV": SAMPLE["users.csv"]}), "USERS.CSV:::duplicate_file"),
    case("zip-nested-zip", ZIP, zipped({**SAMPLE_ZIP, "old/last_year.zip": zip_bytes({"users.csv": SAMPLE["users.csv"][:200]})}), "last_year.zip:::nested_archive"),
    case("zip-nested-tar-gz", ZIP, zipped({**SAMPLE_ZIP, "backup.tar.gz": gzipped(SAMPLE["users.csv"])}), "backup.tar.gz:::nested_archive"),
    case("zip-truncated", ZIP, zipped(SAMPLE_ZIP, corrupt=truncated), "(upload):::upload_unreadable"),
    case("zip-encrypted", ZIP, zipped(SAMPLE_ZIP, encrypted=True), "(upload):::upload_unreadable"),
    case("zip-bad-crc", ZIP, zipped(SAMPLE_ZIP, corrupt=replace_bytes("Okafor", b"Okafar")), "(upload):::upload_unreadable"),
    case("zip-empty", ZIP, zipped({}), "(upload):::no_roster_files"),
    case("zip-only-mac-noise", ZIP, zipped({"__MACOSX/._users.csv": b"\x00\x05\x16\x07", ".DS_Store": b"\x00\x00\x00\x01Bud1"}), "(upload):::no_roster_files"),
    case("upload-is-a-text-file", ZIP, single_file("roster.txt", SAMPLE["users.csv"]), "(upload):::upload_unreadable"),
    # --- unknown, missing and hidden files ---
    case("unknown-csv-file", FILES, sample_with({"attendance_export.csv": "studentId,date,present\n0001001,2026-09-01,true\n"}), "attendance_export.csv:::unknown_file"),
    case("unknown-pdf-file", FILES, sample_with({"handbook.pdf": PDF}), "handbook.pdf:::unknown_file"),
    case("ignored-oneroster-file", FILES, sample_with({"lineItems.csv": "sourcedId,title\nli-1,Quiz 1\n"}), "lineItems.csv:::file_ignored"),
    case("users-is-a-symlink", FILES, sample_with_symlink("users.csv"), "(upload):::unsafe_path"),
    fixture("no_roster_files", FILES),
    fixture("missing_file", FILES),
    fixture("invalid_manifest_value", FILES),
    # --- dangling references, every direction ---
    case("users-to-unknown-school", REFERENCES, sample_with({"users.csv": replace("0001004,active,true,sch-0101", "0001004,active,true,sch-0199")}), "users.csv:5:orgSourcedIds:unknown_school"),
    case("enrollments-to-a-roster-guardian", REFERENCES, sample_with({"enrollments.csv": append(enrollment("e-0013", "c-0101-hr3", "sch-0101", "g-5001", "student"))}), "enrollments.csv:14:userSourcedId:unknown_user"),
    case("delta-enrollments-to-unknown-class", REFERENCES, only({"manifest.csv": DELTA.format("enrollments"), "enrollments.csv": ENROLLMENTS_HEADER + enrollment("e-0013", "c-0102-m7p9", "sch-0102", "0002001", "student")}), "enrollments.csv:2:classSourcedId:unknown_class"),
    case("guardians-to-a-teacher", REFERENCES, sample_with({"guardians.csv": append(guardian("t-0101", "g-5008", "Ana", "Ruiz", "ana.ruiz@mail.example.com"))}), "guardians.csv:9:studentSourcedId:unknown_student"),
    case("delta-guardians-to-unknown-student", REFERENCES, only({"manifest.csv": DELTA.format("guardians"), "guardians.csv": GUARDIANS_HEADER + guardian("0009998", "g-5008", "Ana", "Ruiz", "ana.ruiz@mail.example.com")}), "guardians.csv:2:studentSourcedId:unknown_student"),
    case("attributes-to-an-administrator", REFERENCES, sample_with({"student_attributes.csv": append("a-0001,gifted,true")}), "student_attributes.csv:16:studentSourcedId:unknown_student"),
    case("demographics-to-unknown-user", REFERENCES, sample_with({"demographics.csv": DEMOGRAPHICS + "0009999,2017-01-01,male\n"}), "demographics.csv:3:sourcedId:unknown_user"),
    case("student-agent-is-a-teacher", REFERENCES, sample_with({"users.csv": replace("S-1001,,,,,03", "S-1001,,,,t-0101,03")}), "users.csv:2:agentSourcedIds:unknown_guardian"),
    case("parent-agent-unknown-student", REFERENCES, sample_with({"users.csv": replace("+15555550103,,0001003,", '+15555550103,,"0001003,0009999",')}), "users.csv:14:agentSourcedIds:unknown_student"),
    case("student-with-seven-agents", REFERENCES, sample_with({"users.csv": replace("S-1001,,,,,03", 'S-1001,,,,"g-5001,g-5002,g-5003,g-5004,g-5005,g-5006,g-5007",03')}), "users.csv:2:agentSourcedIds:too_many_guardians", "guardians.csv:2:studentSourcedId:too_many_guardians"),
    fixture("unknown_school", REFERENCES),
    fixture("unknown_class", REFERENCES),
    fixture("unknown_course", REFERENCES),
    fixture("unknown_term", REFERENCES),
    fixture("unknown_user", REFERENCES),
    fixture("unknown_student", REFERENCES),
    fixture("unknown_guardian", REFERENCES),
    fixture("school_mismatch", REFERENCES),
    fixture("too_many_guardians", REFERENCES),
    # --- conflicting duplicate IDs ---
    case("users-same-id-other-person", DUPLICATES, sample_with({"users.csv": append("0001001,active,true,sch-0101,student,zoe.n,Zoey,Nunez,,S-1001,,,,,03,")}), "users.csv:15:sourcedId:duplicate_id"),
    case("classes-same-id-twice", DUPLICATES, sample_with({"classes.csv": append("c-0101-hr3,active,Grade 3 Homeroom B,03,,HR3B,homeroom,Room 13,sch-0101,term-2026,,")}), "classes.csv:6:sourcedId:duplicate_id"),
    case("orgs-same-school-id-twice", DUPLICATES, sample_with({"orgs.csv": append("sch-0101,active,2026-08-01T00:00:00Z,Maple Annex,school,0103,dist-0042")}), "orgs.csv:5:sourcedId:duplicate_id"),
    case("enrollments-same-id-twice", DUPLICATES, sample_with({"enrollments.csv": append(enrollment("e-0001", "c-0102-m7p1", "sch-0102", "0002003", "student"))}), "enrollments.csv:14:sourcedId:duplicate_id"),
    case("guardian-conflicts-with-users-row", DUPLICATES, sample_with({"guardians.csv": append(guardian("0002004", "p-0001003", "Clara", "Dubois", "clara@mail.example.com"))}), "guardians.csv:9:guardianSourcedId:guardian_conflict"),
    case("academic-sessions-same-id-twice", DUPLICATES, sample_with({"academicSessions.csv": SESSIONS + "term-2026,2026 again,schoolYear,2026-08-20,2027-06-10\n"}), "academicSessions.csv:3:sourcedId:duplicate_id"),
    case("demographics-same-id-twice", DUPLICATES, sample_with({"demographics.csv": DEMOGRAPHICS + "0001001,2017-04-13,female\n"}), "demographics.csv:3:sourcedId:duplicate_id"),
    fixture("duplicate_id", DUPLICATES),
    fixture("duplicate_email", DUPLICATES),
    fixture("duplicate_enrollment", DUPLICATES),
    fixture("duplicate_attribute", DUPLICATES),
    fixture("guardian_conflict", DUPLICATES),
    # --- roles ---
    case("enrollment-role-unknown", ROLES, sample_with({"enrollments.csv": replace("0001001,student", "0001001,learner")}), "enrollments.csv:3:role:invalid_role"),
    case("teacher-enrolled-as-student", ROLES, sample_with({"enrollments.csv": replace("t-0102,teacher", "t-0102,student")}), "enrollments.csv:5:role:role_mismatch"),
    case("parent-enrolled-as-student", ROLES, sample_with({"enrollments.csv": append(enrollment("e-0013", "c-0101-hr3", "sch-0101", "p-0001003", "student"))}), "enrollments.csv:14:role:role_mismatch"),
    case("delta-roster-teacher-as-student", ROLES, only({"manifest.csv": DELTA.format("enrollments"), "enrollments.csv": ENROLLMENTS_HEADER + enrollment("e-0013", "c-0101-hr3", "sch-0101", "t-0201", "student")}), "enrollments.csv:2:role:role_mismatch"),
    case("delta-roster-student-as-teacher", ROLES, only({"manifest.csv": DELTA.format("enrollments"), "enrollments.csv": ENROLLMENTS_HEADER + enrollment("e-0013", "c-0102-m7p2", "sch-0102", "0002001", "teacher")}), "enrollments.csv:2:role:role_mismatch"),
    case("user-role-blank", ROLES, sample_with({"users.csv": replace("sch-0101,teacher,m.lefevre", "sch-0101,,m.lefevre")}), "users.csv:11:role:required_value", "enrollments.csv:5:role:role_mismatch"),
    fixture("invalid_role", ROLES),
    fixture("role_mismatch", ROLES),
    fixture("missing_email", ROLES),
    # --- cross-tenant IDs: the other district's School IDs, users and classes ---
    case("users-other-tenants-school", TENANTS, sample_with({"users.csv": replace("0002001,active,true,sch-0102", "0002001,active,true,sch-1")}), "users.csv:6:orgSourcedIds:unknown_school"),
    case("classes-other-tenants-school", TENANTS, sample_with({"classes.csv": replace("Room 201,sch-0102,term-2026,Mathematics,2", "Room 201,sch-2,term-2026,Mathematics,2")}), "classes.csv:5:schoolSourcedId:unknown_school", *(f"enrollments.csv:{line}:schoolSourcedId:school_mismatch" for line in (11, 12, 13))),
    case("enrollments-other-tenants-school", TENANTS, sample_with({"enrollments.csv": replace("e-0008,c-0102-m7p1,sch-0102", "e-0008,c-0102-m7p1,sch-1")}), "enrollments.csv:9:schoolSourcedId:unknown_school", "enrollments.csv:9:schoolSourcedId:school_mismatch"),
    case("enrollments-other-tenants-user", TENANTS, sample_with({"enrollments.csv": append(enrollment("e-0013", "c-0101-hr3", "sch-0101", "stu-1", "student"))}), "enrollments.csv:14:userSourcedId:unknown_user"),
    case("enrollments-other-tenants-class", TENANTS, sample_with({"enrollments.csv": append(enrollment("e-0013", "cls-1", "sch-0101", "0001001", "student"))}), "enrollments.csv:14:classSourcedId:unknown_class"),
    case("guardians-other-tenants-student", TENANTS, sample_with({"guardians.csv": append(guardian("stu-2", "g-5008", "Sue", "Ng", "sue.ng@example.org"))}), "guardians.csv:9:studentSourcedId:unknown_student"),
    case("attributes-other-tenants-student", TENANTS, sample_with({"student_attributes.csv": append("stu-1,iep,true")}), "student_attributes.csv:16:studentSourcedId:unknown_student"),
    case("other-district-demo-school", TENANTS, clean_with({"users.csv": replace("stu-1,student,Ann,Lee,sch-1", "stu-1,student,Ann,Lee,sch-0101")}), "users.csv:2:orgSourcedIds:unknown_school", tenant=OTHER),
    case("other-district-demo-class-school", TENANTS, clean_with({"classes.csv": replace("Homeroom,sch-1", "Homeroom,sch-0102")}), "classes.csv:2:schoolSourcedId:unknown_school", *(f"enrollments.csv:{line}:schoolSourcedId:school_mismatch" for line in (2, 3, 4)), tenant=OTHER),
    case("other-district-demo-user", TENANTS, clean_with({"enrollments.csv": append("cls-1,0001001,student,sch-1,,")}), "enrollments.csv:5:userSourcedId:unknown_user", tenant=OTHER),
    # --- invalid values ---
    case("class-type-unknown", VALUES, sample_with({"classes.csv": replace("homeroom,Room 12", "lab,Room 12")}), "classes.csv:2:classType:invalid_class_type"),
    *(
        fixture(code, VALUES)
        for code in (
            "invalid_attribute_value", "invalid_boolean", "invalid_date", "invalid_date_range",
            "invalid_datetime", "invalid_email", "invalid_grade", "invalid_id", "invalid_language",
            "invalid_org_type", "invalid_relationship", "invalid_status", "required_value", "missing_school",
        )
    ),
]  # fmt: skip
BY_NAME = {item.name: item for item in CASES}


# --- the roster: one database per module and backend, both tenants committed once --------------------


@dataclass
class CorpusRoster:
    engine: Engine
    data_dir: Path

    def state(self) -> str:
        """Every row of every roster table, all tenants (not the run log, where a rejection is written
        by design), as one hash: cheaper than ``roster_state`` per tenant, and it sees every tenant."""
        digest = hashlib.sha256()
        with self.engine.connect() as connection:
            for table in Base.metadata.sorted_tables:
                if table.name != ImportRun.__tablename__:
                    rows = connection.execute(select(table).order_by(*table.primary_key.columns)).all()
                    digest.update(f"{table.name}:{len(rows)}:{rows!r}".encode())
        return digest.hexdigest()


@pytest.fixture(scope="module", params=BACKENDS)
def corpus_roster(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("corpus")
    with migrated_engine(request.param, folder) as engine:
        with engine.begin() as connection:
            load_fixture_file(connection, demo_tenant_path())
            load_fixture(connection, OTHER_TENANT)
        for tenant, upload in ((DEMO, SAMPLE_UPLOAD), (OTHER, CLEAN)):
            outcome = import_upload(engine, upload, folder / "data", tenant=tenant, commit=True)
            assert outcome.status == COMMITTED, outcome.message
        yield CorpusRoster(engine, folder / "data")


# --- the corpus ---------------------------------------------------------------------------------------


Row = tuple[str, int | None, str, str]


def reported(issues: pd.DataFrame) -> set[Row]:
    return {
        (row.file, None if pd.isna(row.line) else int(row.line), row.column, row.code)
        for row in issues.itertuples()
    }


def shown(issues: pd.DataFrame) -> str:
    return issues[["file", "line", "column", "value", "code"]].to_string()


def read_results(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


@pytest.mark.parametrize("item", CASES, ids=lambda item: item.name)
def test_bad_upload_reports_its_codes_changes_nothing_and_writes_results(
    corpus_roster: CorpusRoster, item: Case, tmp_path: Path
) -> None:
    location = item.build(tmp_path / "upload")
    before = corpus_roster.state()
    reader = ReaderSettings(limits=item.limits) if item.limits else None
    data_dir = tmp_path / "data"

    outcome = import_upload(
        corpus_roster.engine, location, data_dir, tenant=item.tenant, commit=True, reader=reader
    )
    if item.unreadable:
        [(_, _, _, code)] = item.expected()
        assert outcome.unreadable is not None and outcome.unreadable.code == code, outcome.unreadable
        assert str(location) in outcome.unreadable.reason  # names the upload
    else:
        assert outcome.unreadable is None, outcome.unreadable
    issues = outcome.validated.issues
    errors = issues[issues["severity"] == ERROR]
    assert set(errors["code"]) == item.codes(ERROR), shown(issues)
    missing = item.expected() - reported(issues)
    assert not missing, f"not reported: {missing}\nreported:\n{shown(issues)}"
    # A row's error names its column or quotes its value (a quote left open or a header without rows
    # is the line itself).
    on_a_row = errors[errors["line"].notna() & ~errors["code"].isin(["unterminated_quote", "no_rows"])]
    assert ((on_a_row["column"] != "") | (on_a_row["value"] != "")).all(), shown(on_a_row)
    assert corpus_roster.state() == before, "the roster changed"
    if item.codes(ERROR):
        assert outcome.status == REJECTED, outcome.message
        assert outcome.plan is None
    else:
        assert outcome.status == COMMITTED, outcome.message
        assert outcome.plan is not None and outcome.plan.is_empty

    results = outcome.run_folder / "results"
    written = read_results(results / "errors.csv")
    assert set(written["code"]) == item.codes(ERROR)
    assert not (written[["file", "code", "message"]] == "").any(axis=None), written
    summary = read_results(results / "summary.csv").set_index("file")
    for name in set(errors["file"]):
        assert summary.loc[name, "status"] == ERROR, summary
    for name, validated in outcome.validated.files.items():
        if validated.format is None:
            continue
        rows = read_results(results / f"{name.removesuffix('.csv')}_results.csv")
        if item.codes(ERROR):
            assert (rows["action"] == NOT_IMPORTED).all(), (name, rows["action"].unique())
        else:
            assert not rows["action"].isin(CHANGING).any(), (name, rows["action"].unique())
        for row in errors[errors["file"] == name].itertuples():
            failed = rows if pd.isna(row.line) else rows[rows["line"] == str(row.line)]
            assert (failed["result"] == ERROR).all(), (name, row.line, row.code)


def test_the_corpus_is_big_honest_and_covers_every_category(tmp_path: Path) -> None:
    """At least 60 distinct malformed uploads: unique names, and no two cases with the same input."""
    assert len(CASES) >= 60
    assert len(BY_NAME) == len(CASES), [name for name, n in Counter(c.name for c in CASES).items() if n > 1]
    digests: dict[str, str] = {}
    for item in CASES:
        digest = input_digest(item.build(tmp_path / item.name / "upload")) + item.tenant
        assert digest not in digests, f"{item.name} has the same input as {digests.get(digest)}"
        digests[digest] = item.name
        assert item.expect, item.name
    by_category = Counter(item.category for item in CASES)
    assert set(by_category) == set(CATEGORIES), by_category


def test_every_fixture_folder_with_an_error_is_in_the_corpus() -> None:
    """The issue-code fixture folders that must reject an upload all run end to end here too (the
    warning-only ones would change the fixture district's roster, and invalid_class_type needs a
    school-scoped tenant: its case is built from the sample instead)."""
    folders = {path.name for path in BAD_UPLOADS.iterdir() if path.is_dir() and not path.name.startswith("_")}
    with_errors = set()
    for name in folders:
        with (BAD_UPLOADS / name / "expected.csv").open(newline="", encoding="utf-8") as handle:
            if any(CODES[row["code"]].severity == ERROR for row in csv.DictReader(handle)):
                with_errors.add(name)
    in_corpus = {name.removeprefix("fixture-") for name in BY_NAME if name.startswith("fixture-")}
    assert with_errors - {"invalid_class_type"} == in_corpus

"""`roster-pipeline db load FILE.yaml`: set up a tenant's existing roster from a readable fixture.

A fixture describes one tenant and what the roster already holds (see roster_pipeline/samples/
demo_tenant.yaml for every field)::

    tenant: district-0042            # or school-<id> for a standalone school
    name: Lakeside Unified School District
    schools:
      - {name: Maple Elementary School, school_id: sch-0101}   # school_id: the School ID, optional
    classrooms:                       # no sis_id: made by hand (managed_by manual)
      - {school: sch-0101, sis_id: c-1, title: Grade 3 Homeroom, grades: "03"}
    students:
      - {school: sch-0101, sis_id: "0001001", given_name: Zoë, family_name: Nuñez, grades: "03"}
    staff:
      - {school: sch-0101, sis_id: t-1, role: teacher, given_name: Ana, family_name: Ruiz, email: a@x.org}
    guardians:
      - {sis_id: g-1, given_name: María, family_name: Nuñez, email: m@x.org, students: ["0001001"]}
    enrollments:
      - {classroom: c-1, student: "0001001"}
      - {classroom: c-1, staff: t-1, role: teacher}
    student_attributes:
      - {student: "0001001", attribute: birthDate, value: "2017-04-12"}

Schools are named by School ID or name; classrooms and people by SIS ID, or (made by hand) by
``ref``, a label used only inside the fixture. ``archived: true`` archives a record.
This is set-up, not the import path, so it inserts row by row.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Connection, insert

from roster_pipeline.roster.models import (
    MANUAL,
    SIS,
    Classroom,
    District,
    Enrollment,
    Guardian,
    School,
    Staff,
    Student,
    StudentAttribute,
    StudentGuardian,
)
from roster_pipeline.roster.tenants import check_tenant_key

RECORD_FIELDS = {
    "classrooms": ("title", "grades", "class_code", "class_type", "location", "periods", "subjects"),
    "students": (
        "given_name",
        "family_name",
        "middle_name",
        "username",
        "email",
        "identifier",
        "grades",
        "sms",
        "phone",
    ),
    "staff": ("role", "given_name", "family_name", "middle_name", "username", "email", "sms", "phone"),
    "guardians": ("given_name", "family_name", "email", "sms", "phone", "language"),
}
MODELS = {"classrooms": Classroom, "students": Student, "staff": Staff, "guardians": Guardian}


class FixtureError(ValueError):
    pass


def load_fixture_file(connection: Connection, path: Path) -> int:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise FixtureError(f"{path}: {error}") from None
    return load_fixture(connection, document)


def load_fixture(connection: Connection, document: dict[str, Any]) -> int:
    """Insert the tenant and its records; returns the tenant's id."""
    if not isinstance(document, dict) or "tenant" not in document:
        raise FixtureError("a fixture is a mapping with at least `tenant:`")
    tenant = check_tenant_key(str(document["tenant"]))
    scope = "school" if tenant.startswith("school-") else "district"
    district_id = connection.execute(
        insert(District).values(
            tenant=tenant,
            name=document.get("name", tenant),
            scope=scope,
            sis_id=document.get("sis_id"),
        )
    ).inserted_primary_key[0]
    schools: dict[str, int] = {}
    for school in document.get("schools", []):
        school_pk = connection.execute(
            insert(School).values(
                district_id=district_id, name=school["name"], school_id=_text(school.get("school_id"))
            )
        ).inserted_primary_key[0]
        schools[school["name"]] = school_pk
        if school.get("school_id"):
            schools[str(school["school_id"])] = school_pk
    if scope == "school" and len(set(schools.values())) != 1:
        raise FixtureError("a school tenant has exactly one school")

    refs: dict[str, dict[str, int]] = {}
    for entity, model in MODELS.items():
        refs[entity] = {}
        for item in document.get(entity, []):
            values = {name: _text(item.get(name)) for name in RECORD_FIELDS[entity]}
            if model in (Classroom, Student, Staff):
                values["school_pk"] = _school(schools, item.get("school"), entity)
            sis_id = _text(item.get("sis_id"))
            record_id = connection.execute(
                insert(model).values(
                    district_id=district_id,
                    sis_id=sis_id,
                    managed_by=SIS if sis_id else MANUAL,
                    archived_at=datetime.now(UTC) if item.get("archived") else None,
                    **values,
                )
            ).inserted_primary_key[0]
            for label in (sis_id, _text(item.get("ref"))):
                if label:
                    refs[entity][label] = record_id
            for student in item.get("students", []) if entity == "guardians" else []:
                connection.execute(
                    insert(StudentGuardian).values(
                        district_id=district_id,
                        student_id=_ref(refs, "students", student),
                        guardian_id=record_id,
                        relationship=_text(item.get("relationship")),
                    )
                )

    for item in document.get("enrollments", []):
        person = "student" if "student" in item else "staff"
        connection.execute(
            insert(Enrollment).values(
                district_id=district_id,
                classroom_id=_ref(refs, "classrooms", item["classroom"]),
                student_id=_ref(refs, "students", item["student"]) if person == "student" else None,
                staff_id=_ref(refs, "staff", item["staff"]) if person == "staff" else None,
                role=item.get("role", "student"),
                sis_id=_text(item.get("sis_id")),
                primary=_text(item.get("primary")),
                begin_date=_text(item.get("begin_date")),
                end_date=_text(item.get("end_date")),
            )
        )
    for item in document.get("student_attributes", []):
        connection.execute(
            insert(StudentAttribute).values(
                district_id=district_id,
                student_id=_ref(refs, "students", item["student"]),
                attribute=str(item["attribute"]),
                value=_text(item.get("value")),
            )
        )
    return district_id


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _school(schools: dict[str, int], name: Any, entity: str) -> int | None:
    if name is None:
        return next(iter(schools.values())) if len(set(schools.values())) == 1 else None
    if str(name) not in schools:
        raise FixtureError(f"{entity}: unknown school {name!r}")
    return schools[str(name)]


def _ref(refs: dict[str, dict[str, int]], entity: str, label: Any) -> int:
    if str(label) not in refs[entity]:
        raise FixtureError(f"unknown {entity} {label!r} (name it by sis_id or ref)")
    return refs[entity][str(label)]

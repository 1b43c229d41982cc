"""What the importer keeps in step with the SIS: records (matched by SIS ID, archived when gone) and
links between them (matched by their parents' SIS IDs, removed when gone).

Frames of an entity use the roster's column names for fields, ``key`` for a record's SIS ID and
``<parent>_key`` for a link's parents, so one diff serves every entity.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Table

from roster_pipeline.roster.models import (
    Classroom,
    Enrollment,
    Guardian,
    Staff,
    Student,
    StudentAttribute,
    StudentGuardian,
)

RECORD, LINK = "record", "link"


@dataclass(frozen=True)
class Parent:
    key: str  # column of the entity frame holding the parent's SIS ID
    entity: str  # the parent record entity
    column: str  # the roster column holding the parent's id


@dataclass(frozen=True)
class EntitySpec:
    name: str
    kind: str
    table: Table
    fields: tuple[str, ...]
    parents: tuple[Parent, ...] = ()
    extra_keys: tuple[str, ...] = ()
    label: str = ""

    @property
    def keys(self) -> tuple[str, ...]:
        if self.kind == RECORD:
            return ("key",)
        return (*(parent.key for parent in self.parents), *self.extra_keys)

    @property
    def is_record(self) -> bool:
        return self.kind == RECORD


PERSON_FIELDS = ("given_name", "family_name", "email", "sms", "phone")
CLASSROOMS = EntitySpec(
    "classrooms",
    RECORD,
    Classroom.__table__,
    (
        "sis_id",
        "managed_by",
        "school_pk",
        "title",
        "grades",
        "class_code",
        "class_type",
        "location",
        "periods",
        "subjects",
        "course_sis_id",
        "term_sis_ids",
    ),
)
STUDENTS = EntitySpec(
    "students",
    RECORD,
    Student.__table__,
    ("sis_id", "managed_by", "school_pk", *PERSON_FIELDS, "middle_name", "username", "identifier", "grades"),
)
STAFF = EntitySpec(
    "staff",
    RECORD,
    Staff.__table__,
    ("sis_id", "managed_by", "school_pk", "role", *PERSON_FIELDS, "middle_name", "username", "identifier"),
)
GUARDIANS = EntitySpec(
    "guardians", RECORD, Guardian.__table__, ("sis_id", "managed_by", *PERSON_FIELDS, "language")
)


def _enrollments(people: str, column: str) -> EntitySpec:
    """Enrollments share one table; students' and staff's are kept apart (their parents differ)."""
    return EntitySpec(
        f"{'student' if people == 'students' else people}_enrollments",
        LINK,
        Enrollment.__table__,
        ("role", "sis_id", "primary", "begin_date", "end_date"),
        parents=(Parent("class_key", "classrooms", "classroom_id"), Parent("user_key", people, column)),
    )


STUDENT_ENROLLMENTS = _enrollments("students", "student_id")
STAFF_ENROLLMENTS = _enrollments("staff", "staff_id")
GUARDIAN_LINKS = EntitySpec(
    "guardian_links",
    LINK,
    StudentGuardian.__table__,
    ("relationship",),
    parents=(
        Parent("student_key", "students", "student_id"),
        Parent("guardian_key", "guardians", "guardian_id"),
    ),
)
STUDENT_ATTRIBUTES = EntitySpec(
    "student_attributes",
    LINK,
    StudentAttribute.__table__,
    ("value",),
    parents=(Parent("student_key", "students", "student_id"),),
    extra_keys=("attribute",),
)

# Parents before children: the order of inserts (and the reverse of deletes).
ENTITIES: dict[str, EntitySpec] = {
    spec.name: spec
    for spec in (
        CLASSROOMS,
        STUDENTS,
        STAFF,
        GUARDIANS,
        STUDENT_ENROLLMENTS,
        STAFF_ENROLLMENTS,
        GUARDIAN_LINKS,
        STUDENT_ATTRIBUTES,
    )
}
RECORD_ENTITIES = tuple(name for name, spec in ENTITIES.items() if spec.is_record)

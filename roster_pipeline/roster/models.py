"""SQLAlchemy models of the roster. Every row carries its tenant (``district_id``) so reads and writes
are always scoped to one district or standalone school.

SIS field values are stored as text exactly as normalised by validation (dates ``YYYY-MM-DD``, booleans
``true``/``false``, lists comma-separated): the roster keeps what the SIS said, and a re-import compares
equal without conversions. Empty values are NULL.

The tables an import writes in bulk (records and links) carry no foreign keys: PostgreSQL checks a
foreign key with a trigger per inserted row, which was over half of a large first commit. A commit
checks the ids it is about to write against the tenant's own ids instead, and a rollback what it
leaves (``apply/integrity.py``), which also catches a row pointing into another tenant, which a
foreign key would not. Schools and runs, written a row at a time, keep theirs. For the same reason
those tables carry only the indexes a query or a unique rule needs: each index costs about a
microsecond per row written to a table that already holds rows (a first import builds them after its
COPY instead, see ``roster/bulk.py``). A unique key leads with ``district_id`` where it can, so the
one index both keeps the rows unique and serves the reads of one tenant's rows.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

SIS = "sis"
MANUAL = "manual"
ID_LENGTH = 255
# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets 64-bit keys.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    # Named constraints, so later migrations can drop or alter them on every database.
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class District(Base):
    """A tenant: a district, or a standalone school (scope ``school``, with exactly one school)."""

    __tablename__ = "districts"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    tenant: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(ID_LENGTH))
    scope: Mapped[str] = mapped_column(String(10), default="district")
    sis_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))


class School(Base):
    __tablename__ = "schools"
    __table_args__ = (UniqueConstraint("district_id", "school_id", name="uq_schools_school_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), index=True)
    name: Mapped[str] = mapped_column(String(ID_LENGTH))
    school_id: Mapped[str | None] = mapped_column(String(ID_LENGTH), doc="the district's School ID")
    archived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


def _partial_index(name: str, *columns: str, unique: bool = False) -> Index:
    """An index over the rows whose last column is set: an enrollment's other person column is
    always NULL, and indexing those NULLs only slows every insert."""
    present = text(f"{columns[-1]} IS NOT NULL")
    return Index(name, *columns, unique=unique, postgresql_where=present, sqlite_where=present)


class _Record:
    """Columns every SIS-matchable record shares."""

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    district_id: Mapped[int] = mapped_column(BigId)  # read through the (district_id, sis_id) key
    sis_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    managed_by: Mapped[str] = mapped_column(String(10), default=SIS)
    archived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Classroom(_Record, Base):
    __tablename__ = "classrooms"
    __table_args__ = (UniqueConstraint("district_id", "sis_id", name="uq_classrooms_sis_id"),)
    school_pk: Mapped[int] = mapped_column(BigId)
    title: Mapped[str] = mapped_column(Text)
    grades: Mapped[str | None] = mapped_column(Text)
    class_code: Mapped[str | None] = mapped_column(Text)
    class_type: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(Text)
    periods: Mapped[str | None] = mapped_column(Text)
    subjects: Mapped[str | None] = mapped_column(Text)
    course_sis_id: Mapped[str | None] = mapped_column(Text)
    term_sis_ids: Mapped[str | None] = mapped_column(Text)


class _Person(_Record):
    given_name: Mapped[str] = mapped_column(Text)
    family_name: Mapped[str] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Text)
    sms: Mapped[str | None] = mapped_column(Text)
    phone: Mapped[str | None] = mapped_column(Text)


class _SchoolPerson(_Person):
    """Students and staff: people of a school (their first listed one), with SIS account fields."""

    school_pk: Mapped[int | None] = mapped_column(BigId)
    middle_name: Mapped[str | None] = mapped_column(Text)
    username: Mapped[str | None] = mapped_column(Text)
    identifier: Mapped[str | None] = mapped_column(Text)


class Student(_SchoolPerson, Base):
    __tablename__ = "students"
    __table_args__ = (UniqueConstraint("district_id", "sis_id", name="uq_students_sis_id"),)
    grades: Mapped[str | None] = mapped_column(Text)


class Staff(_SchoolPerson, Base):
    """Teachers, aides, proctors and administrators."""

    __tablename__ = "staff"
    __table_args__ = (UniqueConstraint("district_id", "sis_id", name="uq_staff_sis_id"),)
    role: Mapped[str] = mapped_column(String(20))


class Guardian(_Person, Base):
    __tablename__ = "guardians"
    __table_args__ = (UniqueConstraint("district_id", "sis_id", name="uq_guardians_sis_id"),)
    language: Mapped[str | None] = mapped_column(Text)


class Enrollment(Base):
    """A student or a staff member in a classroom (exactly one of them)."""

    __tablename__ = "enrollments"
    __table_args__ = (
        _partial_index("uq_enrollments_student", "classroom_id", "student_id", unique=True),
        _partial_index("uq_enrollments_staff", "classroom_id", "staff_id", unique=True),
        CheckConstraint("(student_id IS NULL) <> (staff_id IS NULL)", name="ck_enrollments_one_person"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # Its parents' tenant. Indexed alone: the unique keys are partial, which a tenant's reads cannot use.
    district_id: Mapped[int] = mapped_column(BigId, index=True)
    classroom_id: Mapped[int] = mapped_column(BigId)  # led by the unique keys
    student_id: Mapped[int | None] = mapped_column(BigId)
    staff_id: Mapped[int | None] = mapped_column(BigId)
    role: Mapped[str] = mapped_column(String(20))
    sis_id: Mapped[str | None] = mapped_column(String(ID_LENGTH))
    primary: Mapped[str | None] = mapped_column(String(5))
    begin_date: Mapped[str | None] = mapped_column(String(10))
    end_date: Mapped[str | None] = mapped_column(String(10))


class StudentGuardian(Base):
    __tablename__ = "student_guardians"
    __table_args__ = (
        UniqueConstraint("district_id", "student_id", "guardian_id", name="uq_student_guardians"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    district_id: Mapped[int] = mapped_column(BigId)  # leads the unique key
    student_id: Mapped[int] = mapped_column(BigId)
    guardian_id: Mapped[int] = mapped_column(BigId)
    relationship: Mapped[str | None] = mapped_column(String(20))


class StudentAttribute(Base):
    __tablename__ = "student_attributes"
    __table_args__ = (
        UniqueConstraint("district_id", "student_id", "attribute", name="uq_student_attributes"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    district_id: Mapped[int] = mapped_column(BigId)  # leads the unique key
    student_id: Mapped[int] = mapped_column(BigId)
    attribute: Mapped[str] = mapped_column(String(100))
    value: Mapped[str | None] = mapped_column(Text)


class ImportRun(Base):
    """One import (dry run or commit) or rollback, with the plan it staged and what became of it."""

    __tablename__ = "import_runs"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), index=True)
    tenant: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20), default="import")
    upload: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    allow_large_changes: Mapped[bool] = mapped_column(Boolean, default=False)
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    plan_location: Mapped[str | None] = mapped_column(Text)
    counts: Mapped[str | None] = mapped_column(Text, doc="JSON: per entity and action")
    message: Mapped[str | None] = mapped_column(Text)
    rolls_back: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    committed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ChangeLogEntry(Base):
    """One committed change: enough to show it and to undo it. Written in bulk in the same transaction
    as its run's row, so it carries no foreign keys (each would be checked per row of a large import)."""

    __tablename__ = "change_log"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_id: Mapped[str] = mapped_column(String(64), index=True)
    district_id: Mapped[int] = mapped_column(BigId)
    entity: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(Text)
    action: Mapped[str] = mapped_column(String(20))
    before: Mapped[str | None] = mapped_column(Text, doc="JSON of the row before, NULL for a create")
    after: Mapped[str | None] = mapped_column(Text, doc="JSON of the row after, NULL for a removal")

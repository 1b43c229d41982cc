"""Deterministic synthetic district uploads, large enough to benchmark the importer.

Every random choice is drawn up front, in a fixed order, from one ``numpy.random.default_rng(seed)``
as integer arrays (school, grade, name index, class index, ...). Those arrays are then turned into
string columns with pyarrow compute and written in chunks, so a million students take seconds and
bounded memory, and the same seed and size always give byte-identical files.

    python -m roster_pipeline.synthetic.generate OUT_DIR --students 100000 [--seed 7] [--schools K]
"""

from __future__ import annotations

import argparse
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

MODIFIED = "2026-08-01T00:00:00Z"
BEGIN_DATE = "2026-08-20"
END_DATE = "2027-06-10"
TERM_ID = "term-2026"
DISTRICT_ID = "dist-001"
DISTRICT_NAME = "Riverbend Unified School District"

STUDENTS_PER_SCHOOL = 700
STUDENTS_PER_TEACHER = 16
CLASS_SIZE = 25
CHUNK_ROWS = 500_000

GRADES = ("KG", *[f"{n:02d}" for n in range(1, 13)])
GRADE_LABELS = ("K", *[str(n) for n in range(1, 13)])
N_GRADES = len(GRADES)
# Grade-index ranges [lo, hi) of elementary, middle and high schools.
BANDS = ((0, 6), (6, 9), (9, 13))
BAND_KINDS = ("Elementary School", "Middle School", "High School")
GRADE_BAND = np.array([band for band, (lo, hi) in enumerate(BANDS) for _ in range(lo, hi)])

# Per band: six core subjects everyone takes, then two electives taken by 70% and 30% of students,
# which makes 6-8 classes per student and 7 on average.
SUBJECTS: tuple[tuple[tuple[str, str], ...], ...] = (
    (
        ("Reading", "READ"), ("Writing", "WRIT"), ("Math", "MATH"), ("Science", "SCI"),
        ("Social Studies", "SOC"), ("Physical Education", "PE"), ("Music", "MUS"), ("Art", "ART"),
    ),
    (
        ("English", "ENG"), ("Math", "MATH"), ("Science", "SCI"), ("Social Studies", "SOC"),
        ("Physical Education", "PE"), ("Health", "HLTH"), ("Spanish", "SPAN"), ("Band", "BAND"),
    ),
    (
        ("English", "ENG"), ("Math", "MATH"), ("Science", "SCI"), ("History", "HIST"),
        ("Physical Education", "PE"), ("Spanish", "SPAN"), ("Art", "ART"),
        ("Computer Science", "CS"),
    ),
)  # fmt: skip
N_SUBJECTS = 8
ELECTIVE_SHARES = (0.7, 0.3)

GIVEN_NAMES = (
    "José", "Zoë", "Chloé", "Björn", "François", "D'Andre", "De'Shawn", "Siobhán", "Seán", "Inés",
    "Renée", "Noël", "André", "Søren", "João", "Luís", "Ángel", "Jesús", "Sofía", "Mary-Kate",
    "Liam", "Olivia", "Noah", "Emma", "Ava", "Sophia", "Isabella", "Mia", "Lucas", "Mateo",
    "Santiago", "Valentina", "Camila", "Aarav", "Priya", "Wei", "Mei", "Yuki", "Hiroshi", "Minh",
    "Linh", "Ahmed", "Fatima", "Omar", "Aisha", "Zainab", "Kwame", "Amara", "Chidi", "Nia",
    "Jamal", "Aaliyah", "Malik", "Ethan", "Mason", "Logan", "Harper", "Evelyn", "Abigail", "Emily",
    "Ella", "Jack", "Henry", "Owen", "Wyatt", "Leah", "Hannah", "Ana", "Nadia", "Ivan",
    "Dmitri", "Ngozi", "Tariq", "Leilani", "Kai", "Maya", "Elijah", "Grace", "Daniel", "Layla",
)  # fmt: skip
ADULT_GIVEN_NAMES = (
    "Michael", "Jennifer", "David", "Sarah", "Carlos", "Guadalupe", "Rosa", "Jesús", "Thanh",
    "Huong", "Mohammed", "Leticia", "Hélène", "Jürgen", "Patrick", "Siobhán", "Kwabena", "Adaeze",
    "Rajesh", "Sunita", "María", "José", "Dolores", "Ramón", "Inés", "Renée", "Chloé", "Robert",
    "Linda", "James", "Patricia", "Kevin", "Angela", "Tomás", "Yolanda", "Xiaoming", "Oksana",
    "Bao", "Nkechi", "Françoise", "O'Neil", "Karen", "Anthony", "Lisa", "Mark", "Michelle",
)  # fmt: skip
FAMILY_NAMES = (
    "O'Brien", "D'Angelo", "Nuñez", "Müller", "Ng", "O'Connor", "García", "Martínez", "Rodríguez",
    "Hernández", "López", "González", "Pérez", "Sánchez", "Ramírez", "Schröder", "Weiß", "Lefèvre",
    "Côté", "Bélanger", "Sørensen", "Yılmaz", "Öztürk", "Van der Berg", "De la Cruz", "St. John",
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Torres", "Nguyen", "Tran", "Le", "Pham",
    "Kim", "Lee", "Park", "Chen", "Wang", "Li", "Zhang", "Liu", "Patel", "Shah", "Singh", "Kumar",
    "Khan", "Ali", "Hassan", "Okafor", "Mensah", "Diallo", "Johansson", "McDonald", "MacLeod",
    "Dubois", "Gagnon", "Kowalski", "Nowak", "Ivanova", "Petrov", "Haddad", "Cohen", "Levi",
    "Rossi", "Russo", "Murphy", "Kelly", "Walsh", "Thompson", "White", "Harris", "Clark", "Lewis",
    "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott", "Hill", "Green", "Adams",
)  # fmt: skip
SCHOOL_NAMESAKES = (
    "Lincoln", "Washington", "César Chávez", "Sojourner Truth", "Roosevelt", "Jefferson",
    "Harriet Tubman", "Sequoyah", "Sally Ride", "Frederick Douglass", "Maya Angelou", "Oak Grove",
    "Riverside", "Hillcrest", "Maple Valley", "Cedar Park", "Lakeview", "Sunnyside", "Pinecrest",
    "Willow Creek", "Dolores Huerta", "Ellen Ochoa", "Rosa Parks", "Thurgood Marshall",
)  # fmt: skip

RELATIONSHIPS = ("parent", "guardian", "relative", "other")
RELATIONSHIP_SHARES = (0.82, 0.08, 0.07, 0.03)
LANGUAGES = ("en", "es", "zh", "vi", "ar", "ko", "ru", "pt", "so", "ht", "fr", "tl")
LANGUAGE_SHARES = (0.68, 0.18, 0.03, 0.03, 0.02, 0.01, 0.01, 0.01, 0.01, 0.01, 0.005, 0.005)
GUARDIAN_COUNTS = (1, 2, 3, 4)
GUARDIAN_COUNT_SHARES = (0.53, 0.43, 0.03, 0.01)
FLAG_ATTRIBUTES = ("ell", "iep", "frl")
FLAG_SHARE_SENT = 0.85
FLAG_SHARE_TRUE = (0.12, 0.14, 0.45)

HEADERS: dict[str, tuple[str, ...]] = {
    "orgs.csv": (
        "sourcedId", "status", "dateLastModified", "name", "type", "identifier", "parentSourcedId",
    ),
    "users.csv": (
        "sourcedId", "status", "enabledUser", "orgSourcedIds", "role", "username", "userIds",
        "givenName", "familyName", "middleName", "identifier", "email", "sms", "phone",
        "agentSourcedIds", "grades", "password",
    ),
    "classes.csv": (
        "sourcedId", "status", "title", "grades", "courseSourcedId", "classCode", "classType",
        "location", "schoolSourcedId", "termSourcedIds", "subjects", "periods",
    ),
    "enrollments.csv": (
        "sourcedId", "classSourcedId", "schoolSourcedId", "userSourcedId", "role", "primary",
        "beginDate", "endDate", "status",
    ),
    "guardians.csv": (
        "studentSourcedId", "guardianSourcedId", "givenName", "familyName", "email", "sms",
        "phone", "relationship", "language",
    ),
    "student_attributes.csv": ("studentSourcedId", "attribute", "value"),
    "manifest.csv": ("propertyName", "value"),
}  # fmt: skip

_FOLD = str.maketrans(
    {"ø": "o", "Ø": "O", "ß": "ss", "æ": "ae", "Æ": "Ae", "đ": "d", "Đ": "D", "ł": "l", "ı": "i"}
)

Columns = list[pa.Array]
Builder = Callable[[int, int], Columns]


def _slug(name: str) -> str:
    """A name's ASCII letters in lower case, for usernames and emails (O'Brien -> obrien)."""
    decomposed = unicodedata.normalize("NFKD", name.translate(_FOLD))
    return "".join(ch for ch in decomposed if ch.isascii() and ch.isalnum()).lower()


@dataclass(frozen=True)
class _Pool:
    """A list of names and their ASCII slugs, indexed by integer arrays."""

    names: pa.Array
    slugs: pa.Array

    @classmethod
    def of(cls, names: Sequence[str]) -> _Pool:
        return cls(pa.array(names, pa.string()), pa.array([_slug(n) for n in names], pa.string()))

    def __len__(self) -> int:
        return len(self.names)


@dataclass(frozen=True)
class _District:
    """Every random draw, as integer/boolean arrays; strings are made only when writing."""

    n: int
    k: int
    school_band: np.ndarray  # per school: 0-2, or -1 for a K-12 school
    # Students.
    school: np.ndarray
    grade: np.ndarray
    given: np.ndarray
    middle: np.ndarray  # -1: no middle name
    family: np.ndarray
    student_email: np.ndarray
    state_id: np.ndarray
    birth: np.ndarray
    flag_sent: np.ndarray  # (n, 3)
    flag_true: np.ndarray  # (n, 3)
    # Classes, in (school, grade, subject, section) order.
    class_school: np.ndarray
    class_grade: np.ndarray
    class_subject: np.ndarray  # 0-7 within the grade's band
    class_section: np.ndarray
    class_period: np.ndarray
    class_room: np.ndarray
    class_teacher: np.ndarray
    # (n, 8) class index per student and subject slot, -1 where the subject is not taken.
    schedule: np.ndarray
    # Teachers and administrators.
    teacher_school: np.ndarray
    teacher_second: np.ndarray  # -1: one school only
    teacher_given: np.ndarray
    teacher_family: np.ndarray
    admin_school: np.ndarray
    admin_given: np.ndarray
    admin_family: np.ndarray
    # Guardians, one row each, grouped by student.
    guardian_student: np.ndarray
    guardian_given: np.ndarray
    guardian_family: np.ndarray
    guardian_email: np.ndarray
    guardian_sms: np.ndarray
    guardian_phone: np.ndarray  # -1: no phone
    guardian_relationship: np.ndarray
    student_language: np.ndarray


def _exclusive_cumsum(counts: np.ndarray) -> np.ndarray:
    return np.cumsum(counts) - counts


def _rank_within(keys: np.ndarray, size: int, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """A random order of positions grouped by ``keys``, and each position's rank in its group."""
    order = np.lexsort((rng.random(len(keys)), keys))
    sorted_keys = keys[order]
    start = _exclusive_cumsum(np.bincount(keys, minlength=size))
    return order, sorted_keys, np.arange(len(keys)) - start[sorted_keys]


def _draw(rng: np.random.Generator, n: int, k: int) -> _District:
    """All the random choices for a district of ``n`` students in ``k`` schools."""
    school_band = np.arange(k) % 3 if k >= 3 else np.full(k, -1)
    lo = np.where(school_band < 0, 0, np.array([b[0] for b in BANDS])[school_band])
    hi = np.where(school_band < 0, N_GRADES, np.array([b[1] for b in BANDS])[school_band])
    span = hi - lo
    # Schools get students in proportion to their grade span, give or take ~20%.
    weight = span * rng.gamma(25.0, size=k)
    school = rng.choice(k, size=n, p=weight / weight.sum())
    grade = lo[school] + (rng.random(n) * span[school]).astype(np.int64)

    # Classes: per (school, grade) group and subject, one section per ~25 students taking it.
    group = school * N_GRADES + grade
    n_groups = k * N_GRADES
    takes = np.ones((n, N_SUBJECTS), dtype=bool)
    for slot, share in enumerate(ELECTIVE_SHARES, start=N_SUBJECTS - len(ELECTIVE_SHARES)):
        takes[:, slot] = rng.random(n) < share
    sections = np.zeros((n_groups, N_SUBJECTS), dtype=np.int64)
    for slot in range(N_SUBJECTS):
        counts = np.bincount(group[takes[:, slot]], minlength=n_groups)
        sections[:, slot] = np.where(counts > 0, np.maximum(1, np.rint(counts / CLASS_SIZE)), 0)
    cells = sections.ravel()
    first_class = _exclusive_cumsum(cells)
    n_classes = int(cells.sum())
    cell = np.repeat(np.arange(cells.size), cells)
    class_group = cell // N_SUBJECTS
    class_school = class_group // N_GRADES

    # Each student takes one section of each subject they take; sections are filled evenly.
    schedule = np.full((n, N_SUBJECTS), -1, dtype=np.int64)
    for slot in range(N_SUBJECTS):
        who = np.flatnonzero(takes[:, slot])
        order, g, rank = _rank_within(group[who], n_groups, rng)
        cell_of = g * N_SUBJECTS + slot
        schedule[who[order], slot] = first_class[cell_of] + rank % cells[cell_of]

    # Teachers: ~1 per 16 students of the school; the school's classes are dealt out among them.
    n_teachers = np.maximum(1, np.rint(np.bincount(school, minlength=k) / STUDENTS_PER_TEACHER))
    n_teachers = n_teachers.astype(np.int64)
    teacher_school = np.repeat(np.arange(k), n_teachers)
    first_teacher = _exclusive_cumsum(n_teachers)
    order, cs, rank = _rank_within(class_school, k, rng)
    class_teacher = np.empty(n_classes, dtype=np.int64)
    class_teacher[order] = first_teacher[cs] + rank % n_teachers[cs]
    n_t = len(teacher_school)
    shared = (rng.random(n_t) < 0.03) & (k > 1)
    teacher_second = np.where(shared, (teacher_school + 1) % k, -1)
    n_admins = max(3, k // 10)

    # Birth dates: born Sep 1 - Aug 31 of the year that fits the grade; a few a year off.
    shift = rng.choice(np.array([-1, 0, 1]), size=n, p=[0.01, 0.96, 0.03])
    kindergarten_cohort = 2020
    years = kindergarten_cohort - np.arange(-1, N_GRADES + 1)
    cohort_start = np.array([f"{y}-09-01" for y in years], dtype="datetime64[D]")
    birth = cohort_start[grade + shift + 1] + rng.integers(0, 365, size=n)

    n_given, n_family, n_adult = len(GIVEN_NAMES), len(FAMILY_NAMES), len(ADULT_GIVEN_NAMES)
    family = rng.integers(0, n_family, size=n)
    guardian_count = rng.choice(np.array(GUARDIAN_COUNTS), size=n, p=GUARDIAN_COUNT_SHARES)
    guardian_student = np.repeat(np.arange(n), guardian_count)
    m = len(guardian_student)
    keeps_family = rng.random(m) < 0.75
    other_family = rng.integers(0, n_family, size=m)
    guardian_email = rng.random(m) < 0.93
    return _District(
        n=n,
        k=k,
        school_band=school_band,
        school=school,
        grade=grade,
        given=rng.integers(0, n_given, size=n),
        middle=np.where(rng.random(n) < 0.3, rng.integers(0, n_given, size=n), -1),
        family=family,
        student_email=rng.random(n) < 0.5,
        # An affine bijection mod 10^9: unique, random-looking 9-digit state numbers.
        state_id=(387_420_489 * np.arange(n, dtype=np.int64) + rng.integers(0, 10**9)) % 10**9,
        birth=birth,
        flag_sent=rng.random((n, len(FLAG_ATTRIBUTES))) < FLAG_SHARE_SENT,
        flag_true=rng.random((n, len(FLAG_ATTRIBUTES))) < np.array(FLAG_SHARE_TRUE),
        class_school=class_school,
        class_grade=class_group % N_GRADES,
        class_subject=cell % N_SUBJECTS,
        class_section=np.arange(n_classes) - first_class[cell],
        class_period=rng.integers(1, 9, size=n_classes),
        class_room=rng.integers(100, 400, size=n_classes),
        class_teacher=class_teacher,
        schedule=schedule,
        teacher_school=teacher_school,
        teacher_second=teacher_second,
        teacher_given=rng.integers(0, n_adult, size=n_t),
        teacher_family=rng.integers(0, n_family, size=n_t),
        admin_school=np.arange(n_admins) % k,
        admin_given=rng.integers(0, n_adult, size=n_admins),
        admin_family=rng.integers(0, n_family, size=n_admins),
        guardian_student=guardian_student,
        guardian_given=rng.integers(0, n_adult, size=m),
        guardian_family=np.where(keeps_family, family[guardian_student], other_family),
        guardian_email=guardian_email,
        guardian_sms=~guardian_email | (rng.random(m) < 0.3),
        guardian_phone=np.where(rng.random(m) < 0.5, rng.integers(0, 10**7, size=m), -1),
        guardian_relationship=rng.choice(len(RELATIONSHIPS), size=m, p=RELATIONSHIP_SHARES),
        student_language=rng.choice(len(LANGUAGES), size=n, p=LANGUAGE_SHARES),
    )


# String helpers: every one works on a whole column at once.


def _strings(values: Sequence[str]) -> pa.Array:
    return pa.array(values, pa.string())


def _const(value: str, rows: int) -> pa.Array:
    return pa.repeat(pa.scalar(value, pa.string()), rows)


def _empty(rows: int) -> pa.Array:
    return pa.nulls(rows, pa.string())


def _padded(numbers: np.ndarray, width: int) -> pa.Array:
    return pc.utf8_lpad(pa.array(numbers).cast(pa.string()), width, "0")


def _join(*parts: pa.Array | str) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def _where(mask: np.ndarray, values: pa.Array) -> pa.Array:
    """``values`` where ``mask``, otherwise empty (null, written as an empty field)."""
    return pc.if_else(pa.array(mask), values, pa.scalar(None, pa.string()))


def _width(count: int, minimum: int) -> int:
    return max(minimum, len(str(count)))


@dataclass(frozen=True)
class _Ids:
    """How each kind of ID is spelled for this district size."""

    school: pa.Array
    student_width: int
    teacher_width: int
    class_width: int

    def student(self, index: np.ndarray) -> pa.Array:
        return _padded(index + 1, self.student_width)

    def teacher(self, index: np.ndarray) -> pa.Array:
        return _join("t-", _padded(index + 1, self.teacher_width))

    def class_(self, index: np.ndarray) -> pa.Array:
        return _join("c-", _padded(index + 1, self.class_width))


def _write(path: Path, header: Sequence[str], parts: Sequence[tuple[int, Builder]]) -> int:
    """Write a header line, then each part's rows in chunks; return the number of rows."""
    options = pacsv.WriteOptions(include_header=False, batch_size=65_536)
    total = 0
    with pa.OSFile(str(path), "wb") as sink:
        sink.write((",".join(header) + "\n").encode())
        for rows, build in parts:
            for lo in range(0, rows, CHUNK_ROWS):
                hi = min(rows, lo + CHUNK_ROWS)
                columns = build(lo, hi)
                pacsv.write_csv(pa.Table.from_arrays(columns, names=list(header)), sink, options)
            total += rows
    return total


def _write_orgs(path: Path, d: _District, ids: _Ids) -> int:
    names = [DISTRICT_NAME]
    for i in range(d.k):
        namesake = SCHOOL_NAMESAKES[i % len(SCHOOL_NAMESAKES)]
        repeat = f" {i // len(SCHOOL_NAMESAKES) + 1}" if i >= len(SCHOOL_NAMESAKES) else ""
        band = int(d.school_band[i])
        kind = BAND_KINDS[band] if band >= 0 else "K-12 Academy"
        names.append(f"{namesake}{repeat} {kind}")
    rows = d.k + 1
    sourced = pa.concat_arrays([_strings([DISTRICT_ID]), ids.school])
    schools = _join("S", _padded(np.arange(1, rows), 4))
    identifier = pa.concat_arrays([_strings(["D001"]), schools])
    parent = pa.concat_arrays([_empty(1), _const(DISTRICT_ID, d.k)])
    kinds = pa.concat_arrays([_strings(["district"]), _const("school", d.k)])
    columns = [
        sourced, _const("active", rows), _const(MODIFIED, rows), _strings(names), kinds,
        identifier, parent,
    ]  # fmt: skip
    return _write(path, HEADERS["orgs.csv"], [(rows, lambda lo, hi: [c[lo:hi] for c in columns])])


def _user_columns(
    *,
    sourced: pa.Array,
    orgs: pa.Array,
    role: str,
    given: pa.Array,
    family: pa.Array,
    middle: pa.Array,
    username: pa.Array,
    identifier: pa.Array,
    email: pa.Array,
    grades: pa.Array,
) -> Columns:
    rows = len(sourced)
    return [
        sourced, _const("active", rows), _const("true", rows), orgs, _const(role, rows), username,
        _empty(rows), given, family, middle, identifier, email, _empty(rows), _empty(rows),
        _empty(rows), grades, _empty(rows),
    ]  # fmt: skip


def _write_users(path: Path, d: _District, ids: _Ids) -> int:
    given, adult, family = (
        _Pool.of(GIVEN_NAMES),
        _Pool.of(ADULT_GIVEN_NAMES),
        _Pool.of(FAMILY_NAMES),
    )
    grades = _strings(GRADES)

    def students(lo: int, hi: int) -> Columns:
        index = np.arange(lo, hi)
        g, f = d.given[lo:hi], d.family[lo:hi]
        middle = d.middle[lo:hi]
        username = _join(
            given.slugs.take(g),
            ".",
            family.slugs.take(f),
            ".",
            pa.array(index + 1).cast(pa.string()),
        )
        return _user_columns(
            sourced=ids.student(index),
            orgs=ids.school.take(d.school[lo:hi]),
            role="student",
            given=given.names.take(g),
            family=family.names.take(f),
            middle=_where(middle >= 0, given.names.take(np.maximum(middle, 0))),
            username=username,
            identifier=_padded(d.state_id[lo:hi], 9),
            email=_where(d.student_email[lo:hi], _join(username, "@students.example.org")),
            grades=grades.take(d.grade[lo:hi]),
        )

    n_teachers = len(d.teacher_school)

    def staff(
        kind: str, first: int, schools: pa.Array, g: np.ndarray, f: np.ndarray, sourced: pa.Array
    ) -> Columns:
        rows = len(g)
        number = pa.array(np.arange(first, first + rows) + 1).cast(pa.string())
        username = _join(adult.slugs.take(g), ".", family.slugs.take(f), ".", number)
        return _user_columns(
            sourced=sourced,
            orgs=schools,
            role=kind,
            given=adult.names.take(g),
            family=family.names.take(f),
            middle=_empty(rows),
            username=username,
            identifier=_join("E", _padded(np.arange(first, first + rows) + 1, 6)),
            email=_join(username, "@example.org"),
            grades=_empty(rows),
        )

    def teachers(lo: int, hi: int) -> Columns:
        second = d.teacher_second[lo:hi]
        primary = ids.school.take(d.teacher_school[lo:hi])
        both = _join(primary, ",", ids.school.take(np.maximum(second, 0)))
        schools = pc.if_else(pa.array(second >= 0), both, primary)
        sourced = ids.teacher(np.arange(lo, hi))
        g, f = d.teacher_given[lo:hi], d.teacher_family[lo:hi]
        return staff("teacher", lo, schools, g, f, sourced)

    def admins(lo: int, hi: int) -> Columns:
        schools = ids.school.take(d.admin_school[lo:hi])
        sourced = _join("a-", _padded(np.arange(lo, hi) + 1, 4))
        g, f = d.admin_given[lo:hi], d.admin_family[lo:hi]
        return staff("administrator", n_teachers + lo, schools, g, f, sourced)

    parts = [(d.n, students), (n_teachers, teachers), (len(d.admin_school), admins)]
    return _write(path, HEADERS["users.csv"], parts)


def _write_classes(path: Path, d: _District, ids: _Ids) -> int:
    names = _strings([name for band in SUBJECTS for name, _ in band])
    codes = _strings([code for band in SUBJECTS for _, code in band])
    course_codes = _strings([code.lower() for band in SUBJECTS for _, code in band])
    grades, labels = _strings(GRADES), _strings(GRADE_LABELS)

    def build(lo: int, hi: int) -> Columns:
        rows = hi - lo
        grade = d.class_grade[lo:hi]
        subject = GRADE_BAND[grade] * N_SUBJECTS + d.class_subject[lo:hi]
        period = pa.array(d.class_period[lo:hi]).cast(pa.string())
        label, grade_code = labels.take(grade), grades.take(grade)
        title = _join(names.take(subject), " ", label, " - P", period)
        section = _padded(d.class_section[lo:hi] + 1, 2)
        return [
            ids.class_(np.arange(lo, hi)),
            _const("active", rows),
            title,
            grade_code,
            _join("crs-", course_codes.take(subject), "-", grade_code),
            _join(codes.take(subject), label, "-", section),
            _const("scheduled", rows),
            _join("Room ", pa.array(d.class_room[lo:hi]).cast(pa.string())),
            ids.school.take(d.class_school[lo:hi]),
            _const(TERM_ID, rows),
            names.take(subject),
            period,
        ]

    return _write(path, HEADERS["classes.csv"], [(len(d.class_school), build)])


def _write_enrollments(path: Path, d: _District, ids: _Ids) -> int:
    # Sorted by class: each class's teacher, then its students in student order.
    students, slots = np.nonzero(d.schedule >= 0)
    n_classes = len(d.class_school)
    klass = np.concatenate([np.arange(n_classes), d.schedule[students, slots]])
    user = np.concatenate([d.class_teacher, students])
    order = np.argsort(klass, kind="stable")
    klass, user = klass[order], user[order]
    is_teacher = order < n_classes
    del students, slots, order
    rows = len(klass)
    width = _width(rows, 7)

    def build(lo: int, hi: int) -> Columns:
        count = hi - lo
        teacher = is_teacher[lo:hi]
        who = user[lo:hi]
        mask = pa.array(teacher)
        return [
            _join("e-", _padded(np.arange(lo, hi) + 1, width)),
            ids.class_(klass[lo:hi]),
            ids.school.take(d.class_school[klass[lo:hi]]),
            pc.if_else(mask, ids.teacher(who), ids.student(who)),
            pc.if_else(mask, _const("teacher", count), _const("student", count)),
            pc.if_else(mask, _const("true", count), _const("false", count)),
            _const(BEGIN_DATE, count),
            _const(END_DATE, count),
            _const("active", count),
        ]

    return _write(path, HEADERS["enrollments.csv"], [(rows, build)])


def _write_guardians(path: Path, d: _District, ids: _Ids) -> int:
    adult, family = _Pool.of(ADULT_GIVEN_NAMES), _Pool.of(FAMILY_NAMES)
    relationships, languages = _strings(RELATIONSHIPS), _strings(LANGUAGES)
    rows = len(d.guardian_student)
    width = _width(rows, 7)

    def build(lo: int, hi: int) -> Columns:
        number = np.arange(lo, hi) + 1
        g, f = d.guardian_given[lo:hi], d.guardian_family[lo:hi]
        student = d.guardian_student[lo:hi]
        phone = d.guardian_phone[lo:hi]
        suffix = pa.array(number).cast(pa.string())
        local = _join(adult.slugs.take(g), ".", family.slugs.take(f), ".", suffix)
        return [
            ids.student(student),
            _join("g-", _padded(number, width)),
            adult.names.take(g),
            family.names.take(f),
            _where(d.guardian_email[lo:hi], _join(local, "@family.example.net")),
            # Unique per guardian: +1 555 and the guardian number (wraps past 10^7 guardians).
            _where(d.guardian_sms[lo:hi], _join("+1555", _padded(number % 10**7, 7))),
            _where(phone >= 0, _join("+1555", _padded(np.maximum(phone, 0), 7))),
            relationships.take(d.guardian_relationship[lo:hi]),
            languages.take(d.student_language[student]),
        ]

    return _write(path, HEADERS["guardians.csv"], [(rows, build)])


def _write_student_attributes(path: Path, d: _District, ids: _Ids) -> int:
    # Long form, grouped by student: birthDate always, each flag when the district sends it.
    sent = np.concatenate([np.ones((d.n, 1), dtype=bool), d.flag_sent], axis=1)
    students, attributes = np.nonzero(sent)
    truth = np.concatenate([np.zeros((d.n, 1), dtype=bool), d.flag_true], axis=1)
    value_is_true = truth[students, attributes]
    names = _strings(["birthDate", *FLAG_ATTRIBUTES])
    booleans = _strings(["false", "true"])
    birth = pa.array(d.birth).cast(pa.string())

    def build(lo: int, hi: int) -> Columns:
        student, attribute = students[lo:hi], attributes[lo:hi]
        flag = booleans.take(value_is_true[lo:hi].astype(np.int8))
        value = pc.if_else(pa.array(attribute == 0), birth.take(student), flag)
        return [ids.student(student), names.take(attribute), value]

    return _write(path, HEADERS["student_attributes.csv"], [(len(students), build)])


def _write_manifest(path: Path) -> int:
    rows = [("manifest.version", "1.0"), ("oneroster.version", "1.1")]
    files = ("users", "classes", "enrollments", "orgs", "guardians", "student_attributes")
    rows += [(f"file.{name}", "bulk") for name in files]
    columns = [_strings([r[0] for r in rows]), _strings([r[1] for r in rows])]
    return _write(path, HEADERS["manifest.csv"], [(len(rows), lambda lo, hi: columns)])


def generate_district(
    out_dir: Path | str, students: int, seed: int = 7, schools: int | None = None
) -> dict[str, int]:
    """Write a consistent synthetic district upload into ``out_dir`` for benchmarks.

    Writes users.csv, classes.csv, enrollments.csv, guardians.csv, student_attributes.csv,
    orgs.csv and manifest.csv; returns the number of data rows written per file name. The same
    ``seed``, ``students`` and ``schools`` always give byte-identical files.
    """
    if students < 1:
        raise ValueError("students must be at least 1")
    k = schools if schools is not None else max(2, students // STUDENTS_PER_SCHOOL)
    if k < 1:
        raise ValueError("schools must be at least 1")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    d = _draw(np.random.default_rng(seed), students, k)
    ids = _Ids(
        school=_join("sch-", _padded(np.arange(1, k + 1), _width(k, 4))),
        student_width=_width(students, 7),
        teacher_width=_width(len(d.teacher_school), 6),
        class_width=_width(len(d.class_school), 6),
    )
    counts = {
        "orgs.csv": _write_orgs(out / "orgs.csv", d, ids),
        "users.csv": _write_users(out / "users.csv", d, ids),
        "classes.csv": _write_classes(out / "classes.csv", d, ids),
        "enrollments.csv": _write_enrollments(out / "enrollments.csv", d, ids),
        "guardians.csv": _write_guardians(out / "guardians.csv", d, ids),
        "student_attributes.csv": _write_student_attributes(out / "student_attributes.csv", d, ids),
        "manifest.csv": _write_manifest(out / "manifest.csv"),
    }
    return counts


def main(argv: list[str] | None = None) -> int:
    """Command line: generate a district into OUT_DIR and print the row count of each file."""
    parser = argparse.ArgumentParser(
        prog="python -m roster_pipeline.synthetic.generate",
        description="Write a deterministic synthetic OneRoster-style district upload.",
    )
    parser.add_argument("out_dir", metavar="OUT_DIR", type=Path)
    parser.add_argument("--students", type=int, required=True, metavar="N")
    parser.add_argument("--seed", type=int, default=7, metavar="S")
    parser.add_argument("--schools", type=int, default=None, metavar="K")
    args = parser.parse_args(argv)
    if args.students < 1 or (args.schools is not None and args.schools < 1):
        parser.error("--students and --schools must be at least 1")
    counts = generate_district(args.out_dir, args.students, seed=args.seed, schools=args.schools)
    for name, rows in counts.items():
        print(f"{name}\t{rows}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

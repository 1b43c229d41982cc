"""Which file names the importer reads, which OneRoster files it knowingly ignores."""

from __future__ import annotations

from roster_pipeline.schemas.classes import CLASSES
from roster_pipeline.schemas.enrollments import ENROLLMENTS
from roster_pipeline.schemas.file_format import FileFormat
from roster_pipeline.schemas.guardians import GUARDIANS
from roster_pipeline.schemas.orgs import ORGS
from roster_pipeline.schemas.reference_files import (
    ACADEMIC_SESSIONS,
    COURSES,
    DEMOGRAPHICS,
    MANIFEST,
)
from roster_pipeline.schemas.student_attributes import STUDENT_ATTRIBUTES
from roster_pipeline.schemas.users import USERS

FORMATS: dict[str, FileFormat] = {
    fmt.key: fmt
    for fmt in (
        MANIFEST, ORGS, USERS, CLASSES, ENROLLMENTS, GUARDIANS, STUDENT_ATTRIBUTES,
        ACADEMIC_SESSIONS, COURSES, DEMOGRAPHICS,
    )
}  # fmt: skip

ROSTER_FILES = (
    "users.csv",
    "classes.csv",
    "enrollments.csv",
    "guardians.csv",
    "student_attributes.csv",
)

# Part of OneRoster, not of a roster import: accepted and ignored with a note.
IGNORED_ONEROSTER_FILES = frozenset(
    name.lower()
    for name in (
        "lineItems.csv", "results.csv", "categories.csv", "resources.csv", "classResources.csv",
        "courseResources.csv", "userResources.csv", "scoreScales.csv", "lineItemLearningObjectiveIds.csv",
        "resultLearningObjectiveIds.csv", "lineItemScoreScales.csv", "resultScoreScales.csv",
        "userProfiles.csv", "roles.csv",
    )
)  # fmt: skip


def format_for(file_name: str) -> FileFormat | None:
    return FORMATS.get(file_name.lower())

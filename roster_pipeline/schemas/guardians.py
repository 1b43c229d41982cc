"""guardians.csv: one row per student-guardian pair (not part of OneRoster; SIS exports vary)."""

from roster_pipeline.schemas import checks
from roster_pipeline.schemas.file_format import FileFormat
from roster_pipeline.schemas.vocabularies import EMAIL_PATTERN, ISO_639_1, RELATIONSHIPS

GUARDIANS = FileFormat(
    name="guardians.csv",
    columns=(
        "studentSourcedId",
        "guardianSourcedId",
        "givenName",
        "familyName",
        "email",
        "sms",
        "phone",
        "language",
        "relationship",
    ),
    required=("studentSourcedId", "guardianSourcedId", "givenName", "familyName"),
    checks={
        "studentSourcedId": (checks.required(), checks.identifier()),
        "guardianSourcedId": (checks.required(), checks.identifier()),
        "givenName": (checks.required(),),
        "familyName": (checks.required(),),
        "email": (checks.matches(EMAIL_PATTERN, "invalid_email"),),
        "language": (checks.one_of(ISO_639_1, "invalid_language"),),
        "relationship": (checks.one_of(RELATIONSHIPS, "invalid_relationship"),),
    },
)

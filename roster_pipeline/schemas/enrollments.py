"""enrollments.csv: who is in which class, in which role."""

from roster_pipeline.schemas import checks
from roster_pipeline.schemas.file_format import FileFormat
from roster_pipeline.schemas.vocabularies import ENROLLMENT_ROLES, STATUSES

ENROLLMENTS = FileFormat(
    name="enrollments.csv",
    columns=(
        "sourcedId",
        "status",
        "dateLastModified",
        "classSourcedId",
        "schoolSourcedId",
        "userSourcedId",
        "role",
        "primary",
        "beginDate",
        "endDate",
    ),
    required=("classSourcedId", "userSourcedId", "role"),
    district_required=("schoolSourcedId",),
    checks={
        "sourcedId": (checks.identifier(), checks.unique()),
        "classSourcedId": (checks.required(), checks.identifier()),
        "userSourcedId": (checks.required(), checks.identifier()),
        "schoolSourcedId": (checks.identifier(),),
        "role": (checks.required(), checks.one_of(ENROLLMENT_ROLES, "invalid_role")),
        "primary": (checks.boolean(),),
        "beginDate": (checks.date(),),
        "endDate": (checks.date(),),
        "status": (checks.one_of(STATUSES, "invalid_status"),),
        "dateLastModified": (checks.datetime(),),
    },
)

"""student_attributes.csv: one row per (student, attribute); a wide file is read as long form."""

from roster_pipeline.schemas import checks
from roster_pipeline.schemas.file_format import FileFormat

STUDENT_ATTRIBUTES = FileFormat(
    name="student_attributes.csv",
    columns=("studentSourcedId", "attribute", "value"),
    required=("studentSourcedId", "attribute", "value"),
    checks={
        "studentSourcedId": (checks.required(), checks.identifier()),
        "attribute": (checks.required(),),
    },
)

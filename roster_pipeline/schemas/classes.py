"""classes.csv: the classrooms of each school."""

from roster_pipeline.schemas import checks
from roster_pipeline.schemas.file_format import FileFormat
from roster_pipeline.schemas.vocabularies import CEDS_GRADES, CLASS_TYPES, STATUSES

CLASSES = FileFormat(
    name="classes.csv",
    columns=(
        "sourcedId",
        "status",
        "dateLastModified",
        "title",
        "grades",
        "courseSourcedId",
        "classCode",
        "classType",
        "location",
        "schoolSourcedId",
        "termSourcedIds",
        "subjects",
        "subjectCodes",
        "periods",
    ),
    required=("sourcedId", "title"),
    district_required=("schoolSourcedId",),
    checks={
        "sourcedId": (checks.required(), checks.identifier(), checks.unique()),
        "title": (checks.required(),),
        "schoolSourcedId": (checks.identifier(),),
        "courseSourcedId": (checks.identifier(),),
        "termSourcedIds": (checks.identifier_list(),),
        "grades": (checks.each_one_of(CEDS_GRADES, "invalid_grade"),),
        "classType": (checks.one_of(CLASS_TYPES, "invalid_class_type"),),
        "status": (checks.one_of(STATUSES, "invalid_status"),),
        "dateLastModified": (checks.datetime(),),
    },
)

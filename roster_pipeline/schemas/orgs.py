"""orgs.csv: the district and its schools; a school's sourcedId is its School ID."""

from roster_pipeline.schemas import checks
from roster_pipeline.schemas.file_format import FileFormat
from roster_pipeline.schemas.vocabularies import ORG_TYPES, STATUSES

ORGS = FileFormat(
    name="orgs.csv",
    columns=(
        "sourcedId",
        "status",
        "dateLastModified",
        "name",
        "type",
        "identifier",
        "parentSourcedId",
    ),
    required=("sourcedId", "name", "type"),
    checks={
        "sourcedId": (checks.required(), checks.identifier(), checks.unique()),
        "name": (checks.required(),),
        "type": (checks.required(), checks.one_of(ORG_TYPES, "invalid_org_type")),
        "parentSourcedId": (checks.identifier(),),
        "status": (checks.one_of(STATUSES, "invalid_status"),),
        "dateLastModified": (checks.datetime(),),
    },
)

"""users.csv: students, staff and (optionally) guardians."""

from roster_pipeline.schemas import checks
from roster_pipeline.schemas.file_format import FileFormat
from roster_pipeline.schemas.vocabularies import CEDS_GRADES, EMAIL_PATTERN, STATUSES, USER_ROLES

USERS = FileFormat(
    name="users.csv",
    columns=(
        "sourcedId",
        "status",
        "dateLastModified",
        "enabledUser",
        "orgSourcedIds",
        "role",
        "username",
        "userIds",
        "givenName",
        "familyName",
        "middleName",
        "identifier",
        "email",
        "sms",
        "phone",
        "agentSourcedIds",
        "grades",
        "password",
    ),
    required=("sourcedId", "role", "givenName", "familyName"),
    district_required=("orgSourcedIds",),
    checks={
        "sourcedId": (checks.required(), checks.identifier(), checks.unique()),
        "role": (checks.required(), checks.one_of(USER_ROLES, "invalid_role")),
        "givenName": (checks.required(),),
        "familyName": (checks.required(),),
        "orgSourcedIds": (checks.identifier_list(),),
        "email": (checks.matches(EMAIL_PATTERN, "invalid_email"),),
        "agentSourcedIds": (checks.identifier_list(),),
        "grades": (checks.each_one_of(CEDS_GRADES, "invalid_grade"),),
        "status": (checks.one_of(STATUSES, "invalid_status"),),
        "enabledUser": (checks.boolean(),),
        "dateLastModified": (checks.datetime(),),
    },
)

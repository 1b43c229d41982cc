"""OneRoster files read only so references to them can be checked, and the manifest itself."""

from roster_pipeline.schemas import checks
from roster_pipeline.schemas.file_format import FileFormat

MANIFEST = FileFormat(
    name="manifest.csv",
    columns=("propertyName", "value"),
    required=("propertyName", "value"),
    checks={"propertyName": (checks.required(),)},
)

ACADEMIC_SESSIONS = FileFormat(
    name="academicSessions.csv",
    columns=(
        "sourcedId",
        "status",
        "dateLastModified",
        "title",
        "type",
        "startDate",
        "endDate",
        "parentSourcedId",
        "schoolYear",
    ),
    required=("sourcedId",),
    checks={
        "sourcedId": (checks.required(), checks.identifier(), checks.unique()),
        "startDate": (checks.date(),),
        "endDate": (checks.date(),),
    },
)

COURSES = FileFormat(
    name="courses.csv",
    columns=(
        "sourcedId",
        "status",
        "dateLastModified",
        "schoolYearSourcedId",
        "title",
        "courseCode",
        "grades",
        "orgSourcedId",
        "subjects",
        "subjectCodes",
    ),
    required=("sourcedId",),
    checks={"sourcedId": (checks.required(), checks.identifier(), checks.unique())},
)

DEMOGRAPHICS = FileFormat(
    name="demographics.csv",
    columns=(
        "sourcedId",
        "status",
        "dateLastModified",
        "birthDate",
        "sex",
        "americanIndianOrAlaskaNative",
        "asian",
        "blackOrAfricanAmerican",
        "nativeHawaiianOrOtherPacificIslander",
        "white",
        "demographicRaceTwoOrMoreRaces",
        "hispanicOrLatinoEthnicity",
        "countryOfBirthCode",
        "stateOfBirthAbbreviation",
        "cityOfBirth",
        "publicSchoolResidenceStatus",
    ),
    required=("sourcedId",),
    checks={
        "sourcedId": (checks.required(), checks.identifier(), checks.unique()),
        "birthDate": (checks.date(),),
    },
)

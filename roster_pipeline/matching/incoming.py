"""The upload as entity frames: what the SIS says each record and link should be.

Each frame has the entity's keys and fields (see entities.py) plus ``status`` (``tobedeleted`` archives)
and the ``file`` and ``line`` it came from, so every result can be traced back to its row.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from roster_pipeline.frames import STRING, is_in
from roster_pipeline.matching.entities import ENTITIES
from roster_pipeline.matching.schools import SchoolMatcher
from roster_pipeline.schemas.checks import split_list
from roster_pipeline.schemas.vocabularies import GUARDIAN_ROLES, STAFF_ROLES, STUDENT_ROLES
from roster_pipeline.upload.manifest import BULK
from roster_pipeline.validation.validate import ValidatedUpload

USERS, CLASSES, ENROLLMENTS = "users.csv", "classes.csv", "enrollments.csv"
GUARDIANS, ATTRIBUTES = "guardians.csv", "student_attributes.csv"
# Rows validation keeps but the import leaves out, with the warning that says why.
SKIP_CODES = ("guardian_no_contact",)
SIS = "sis"

PERSON_COLUMNS = {
    "givenName": "given_name",
    "familyName": "family_name",
    "middleName": "middle_name",
    "email": "email",
    "sms": "sms",
    "phone": "phone",
    "username": "username",
    "identifier": "identifier",
    "grades": "grades",
    "role": "role",
}
CLASS_COLUMNS = {
    "title": "title",
    "grades": "grades",
    "classCode": "class_code",
    "classType": "class_type",
    "location": "location",
    "periods": "periods",
    "subjects": "subjects",
    "courseSourcedId": "course_sis_id",
    "termSourcedIds": "term_sis_ids",
}
ENROLLMENT_COLUMNS = {
    "classSourcedId": "class_key",
    "userSourcedId": "user_key",
    "role": "role",
    "sourcedId": "sis_id",
    "primary": "primary",
    "beginDate": "begin_date",
    "endDate": "end_date",
}


@dataclass
class IncomingRoster:
    entities: dict[str, pd.DataFrame]
    # Per entity: whether what is missing from the upload is archived or removed (a bulk file).
    bulk: dict[str, bool]
    covered_schools: set[int] = field(default_factory=set)
    skipped: pd.DataFrame = field(default_factory=pd.DataFrame)


def incoming_roster(upload: ValidatedUpload, schools: SchoolMatcher) -> IncomingRoster:
    skipped = upload.issues[upload.issues["code"].isin(SKIP_CODES)][["file", "line", "message"]]
    users = _frame(upload, USERS)
    classes = _frame(upload, CLASSES)
    enrollments = _frame(upload, ENROLLMENTS)
    guardians = _frame(upload, GUARDIANS)
    guardians = guardians[~guardians.index.isin(skipped.loc[skipped["file"] == GUARDIANS, "line"])]
    attributes = _frame(upload, ATTRIBUTES)

    role = users.get("role", pd.Series(dtype=STRING))
    # A school upload may leave out orgSourcedIds: its one school is every user's.
    org_ids = users.get("orgSourcedIds", pd.Series("", index=users.index, dtype=STRING))
    user_school = schools.first_school(org_ids) if len(users) else _empty_ids(users)
    entities = {
        "classrooms": _classrooms(classes, schools),
        "students": _people(users[is_in(role, STUDENT_ROLES)], "students", user_school),
        "staff": _people(users[is_in(role, STAFF_ROLES)], "staff", user_school),
        "guardians": _guardians(users[is_in(role, GUARDIAN_ROLES)], guardians),
        "guardian_links": _guardian_links(users, guardians),
        "student_attributes": _attributes(attributes),
    }
    is_student = enrollments.get("role", pd.Series(dtype=STRING)) == "student"
    entities["student_enrollments"] = _enrollments(enrollments[is_student], "student_enrollments")
    entities["staff_enrollments"] = _enrollments(enrollments[~is_student], "staff_enrollments")

    bulk_files = {name for name, item in upload.files.items() if item.frame is not None and item.mode == BULK}
    users_have_guardians = bool(len(entities["guardian_links"])) or bool(is_in(role, GUARDIAN_ROLES).any())
    guardians_bulk = GUARDIANS in bulk_files or (
        GUARDIANS not in upload.files and USERS in bulk_files and users_have_guardians
    )
    bulk = {
        "classrooms": CLASSES in bulk_files,
        "students": USERS in bulk_files,
        "staff": USERS in bulk_files,
        "guardians": guardians_bulk,
        "guardian_links": guardians_bulk,
        "student_enrollments": ENROLLMENTS in bulk_files,
        "staff_enrollments": ENROLLMENTS in bulk_files,
        "student_attributes": ATTRIBUTES in bulk_files,
    }
    covered = set()
    for frame, column in (
        (users, "orgSourcedIds"),
        (classes, "schoolSourcedId"),
        (enrollments, "schoolSourcedId"),
    ):
        if column in frame.columns:
            covered |= schools.all_schools(frame[column])
    if schools.only_school is not None and any(len(frame) for frame in (users, classes, enrollments)):
        covered = {schools.only_school}
    return IncomingRoster(entities, bulk, covered, skipped.reset_index(drop=True))


def _frame(upload: ValidatedUpload, name: str) -> pd.DataFrame:
    frame = upload.frame(name)
    if frame is None:
        return pd.DataFrame(index=pd.Index([], dtype="int64", name="line"))
    return frame


def _empty_ids(frame: pd.DataFrame) -> pd.Series:
    return pd.Series(pd.array([None] * len(frame), dtype="Int64"), index=frame.index)


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    if name in frame.columns:
        return frame[name].astype(STRING)
    return pd.Series("", index=frame.index, dtype=STRING)


def _finish(entity: str, frame: pd.DataFrame, source: pd.DataFrame, file: str) -> pd.DataFrame:
    """Add status, file and line; order columns as keys, fields, status, file, line."""
    spec = ENTITIES[entity]
    frame["status"] = _column(source, "status")
    frame["file"] = pd.Series(file, index=frame.index, dtype=STRING)
    frame["line"] = frame.index.to_numpy(dtype="int64")
    for name in spec.fields:
        if name not in frame.columns:
            frame[name] = pd.Series("", index=frame.index, dtype=STRING)
    return frame[[*spec.keys, *spec.fields, "status", "file", "line"]].reset_index(drop=True)


def _record_base(key: pd.Series) -> pd.DataFrame:
    return pd.DataFrame(
        {"key": key.astype(STRING), "sis_id": key.astype(STRING), "managed_by": SIS}, index=key.index
    ).astype({"managed_by": STRING})


def _classrooms(classes: pd.DataFrame, schools: SchoolMatcher) -> pd.DataFrame:
    frame = _record_base(_column(classes, "sourcedId"))
    frame["school_pk"] = schools.first_school(_column(classes, "schoolSourcedId"))
    for upload_name, name in CLASS_COLUMNS.items():
        frame[name] = _column(classes, upload_name)
    return _finish("classrooms", frame, classes, CLASSES)


def _people(users: pd.DataFrame, entity: str, user_school: pd.Series) -> pd.DataFrame:
    frame = _record_base(_column(users, "sourcedId"))
    frame["school_pk"] = user_school.reindex(users.index)
    for upload_name, name in PERSON_COLUMNS.items():
        if name in ENTITIES[entity].fields:
            frame[name] = _column(users, upload_name)
    return _finish(entity, frame, users, USERS)


def _guardians(guardian_users: pd.DataFrame, guardians: pd.DataFrame) -> pd.DataFrame:
    from_users = _people(guardian_users, "guardians", _empty_ids(guardian_users))
    from_file = _record_base(_column(guardians, "guardianSourcedId"))
    for upload_name in ("givenName", "familyName", "email", "sms", "phone", "language"):
        from_file[PERSON_COLUMNS.get(upload_name, upload_name)] = _column(guardians, upload_name)
    from_file = _finish("guardians", from_file, guardians, GUARDIANS)
    # guardians.csv repeats a guardian once per student: its first row stands for it.
    both = pd.concat([from_file, from_users], ignore_index=True)
    return both.drop_duplicates("key", keep="first").reset_index(drop=True)


def _guardian_links(users: pd.DataFrame, guardians: pd.DataFrame) -> pd.DataFrame:
    from_file = pd.DataFrame(
        {
            "student_key": _column(guardians, "studentSourcedId"),
            "guardian_key": _column(guardians, "guardianSourcedId"),
            "relationship": _column(guardians, "relationship"),
        },
        index=guardians.index,
    )
    parts = [_finish("guardian_links", from_file, guardians, GUARDIANS)]
    agents = _column(users, "agentSourcedIds")
    with_agents = users[agents != ""]
    if len(with_agents):
        role = _column(with_agents, "role")
        items = split_list(agents[agents != ""])
        items = items[items != ""]
        own = _column(with_agents, "sourcedId").reindex(items.index)
        own_role = role.reindex(items.index)
        is_guardian_row = is_in(own_role, GUARDIAN_ROLES)
        roles_by_id = pd.Series(role.to_numpy(), index=_column(with_agents, "sourcedId").to_numpy())
        roles_by_id = roles_by_id[~roles_by_id.index.duplicated()]
        agent_role = pd.Series(roles_by_id.reindex(items.to_numpy()).to_numpy(), index=items.index)
        relationship = own_role.where(is_guardian_row, agent_role).fillna("")
        relationship = relationship.where(is_in(relationship.astype(STRING), GUARDIAN_ROLES), "")
        from_users = pd.DataFrame(
            {
                "student_key": own.where(~is_guardian_row, items),
                "guardian_key": items.where(~is_guardian_row, own),
                "relationship": relationship.astype(STRING),
            },
            index=items.index,
        )
        parts.append(_finish("guardian_links", from_users, with_agents.reindex(items.index), USERS))
    links = pd.concat(parts, ignore_index=True)
    return links.drop_duplicates(["student_key", "guardian_key"], keep="first").reset_index(drop=True)


def _enrollments(enrollments: pd.DataFrame, entity: str) -> pd.DataFrame:
    frame = pd.DataFrame(
        {name: _column(enrollments, upload_name) for upload_name, name in ENROLLMENT_COLUMNS.items()},
        index=enrollments.index,
    )
    return _finish(entity, frame, enrollments, ENROLLMENTS)


def _attributes(attributes: pd.DataFrame) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "student_key": _column(attributes, "studentSourcedId"),
            "attribute": _column(attributes, "attribute"),
            "value": _column(attributes, "value"),
        },
        index=attributes.index,
    )
    return _finish("student_attributes", frame, attributes, ATTRIBUTES)

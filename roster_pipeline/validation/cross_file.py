"""Rules across files: every reference resolves, roles agree, schools are the district's own.

A reference is checked against the referenced file when the upload has it, plus whatever the caller
says already exists in the roster; when neither is there, one `references_unchecked` warning says so.
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from roster_pipeline.frames import STRING, is_in, looked_up
from roster_pipeline.issues import Issue, concat_issues, issues_from, row_issues
from roster_pipeline.schemas.checks import split_list
from roster_pipeline.schemas.vocabularies import (
    GUARDIAN_ROLES,
    MAX_GUARDIANS_PER_STUDENT,
    SCHOOL_ORG_TYPE,
    STAFF_ROLES,
    STUDENT_ROLES,
)
from roster_pipeline.validation.file_rules import CONTACT_COLUMNS
from roster_pipeline.validation.scope import DISTRICT, UploadContext

Frames = dict[str, pd.DataFrame]
UPLOAD = "(upload)"


def cross_file_issues(
    frames: Frames,
    context: UploadContext,
    delta_files: frozenset[str] = frozenset(),
    unread_files: frozenset[str] = frozenset(),
) -> pd.DataFrame:
    """``delta_files``: the files the manifest says list only what changed; ``unread_files``: those in
    the upload that could not be read."""
    users = frames.get("users.csv")
    notes: list[Issue] = []
    issues = [
        _school_references(frames, context, notes),
        _enrollment_references(frames, context, notes),
        _guardian_references(frames, context, notes),
        _attribute_references(frames, context, notes),
        _demographic_references(frames, context, notes),
        _course_and_term_references(frames, delta_files),
    ]
    if users is not None:
        issues.append(_agent_references(users, frames.get("guardians.csv")))
    return concat_issues([*issues, issues_from(_unread(note, unread_files) for note in notes)])


def _suggestion(context: UploadContext) -> str:
    if not context.schools_without_id:
        return ""
    names = ", ".join(context.schools_without_id)
    return f" (schools without a School ID yet: {names}; set one with `roster-pipeline schools set-id`)"


def known_school_ids(frames: Frames, context: UploadContext) -> set[str]:
    orgs = frames.get("orgs.csv")
    known = set(context.school_ids)
    if context.school_ids_from_roster:
        return known
    if orgs is not None and "type" in orgs.columns:
        known |= set(orgs.loc[orgs["type"] == SCHOOL_ORG_TYPE, "sourcedId"])
    return known


def _school_references(frames: Frames, context: UploadContext, notes: list[Issue]) -> pd.DataFrame:
    if context.scope != DISTRICT:
        return concat_issues([])
    known = known_school_ids(frames, context)
    places = [("users.csv", "orgSourcedIds", True), ("classes.csv", "schoolSourcedId", False)]
    places.append(("enrollments.csv", "schoolSourcedId", False))
    present = [
        (file, column, is_list)
        for file, column, is_list in places
        if file in frames and column in frames[file].columns
    ]
    if not known and not context.school_ids_from_roster:
        if present:
            notes.append(
                Issue(
                    UPLOAD,
                    "references_unchecked",
                    message="no orgs.csv and no School IDs given: School IDs were not checked",
                )
            )
        return concat_issues([])
    issues = []
    for file, column, is_list in present:
        values = frames[file][column]
        values = values[values != ""]
        items = split_list(values) if is_list else values
        unknown = (items != "") & ~is_in(items, known)
        issues.append(
            row_issues(
                file,
                items.index[unknown],
                column,
                items[unknown],
                "unknown_school",
                message="School ID "
                + items[unknown]
                + " is not a school of this district"
                + _suggestion(context),
            )
        )
    return concat_issues(issues)


def _enrollment_references(frames: Frames, context: UploadContext, notes: list[Issue]) -> pd.DataFrame:
    enrollments = frames.get("enrollments.csv")
    if enrollments is None:
        return concat_issues([])
    file = "enrollments.csv"
    classes, users = frames.get("classes.csv"), frames.get("users.csv")
    issues = []
    if classes is not None or context.existing_class_ids:
        class_ids = _union(_ids(classes, "sourcedId"), context.existing_class_ids)
        issues.append(_dangling(file, enrollments, "classSourcedId", class_ids, "unknown_class"))
    else:
        notes.append(_unchecked(file, "classes.csv"))
    if users is not None or context.existing_user_ids:
        user_ids = _union(_ids(users, "sourcedId"), context.existing_user_ids)
        issues.append(_dangling(file, enrollments, "userSourcedId", user_ids, "unknown_user"))
    else:
        notes.append(_unchecked(file, "users.csv"))
    issues.append(_role_agreement(file, enrollments, users, context))
    if classes is not None and {"schoolSourcedId"} <= set(classes.columns) & set(enrollments.columns):
        issues.append(_school_agreement(file, enrollments, classes))
    return concat_issues(issues)


def _course_and_term_references(frames: Frames, delta_files: frozenset[str]) -> pd.DataFrame:
    """A class's course and terms are checked against courses.csv and academicSessions.csv when the
    upload lists them all (bulk). The roster keeps no courses or terms, so without the file, or with a
    delta one, there is nothing to check against."""
    classes = frames.get("classes.csv")
    if classes is None:
        return concat_issues([])
    issues = []
    for column, listing, code in (
        ("courseSourcedId", "courses.csv", "unknown_course"),
        ("termSourcedIds", "academicSessions.csv", "unknown_term"),
    ):
        listed = frames.get(listing)
        if listed is None or listing in delta_files or column not in classes.columns:
            continue
        values = classes.loc[classes[column] != "", column]
        items = split_list(values) if column == "termSourcedIds" else values
        unknown = (items != "") & ~is_in(items, _ids(listed, "sourcedId"))
        issues.append(row_issues("classes.csv", items.index[unknown], column, items[unknown], code))
    return concat_issues(issues)


def _role_agreement(
    file: str, enrollments: pd.DataFrame, users: pd.DataFrame | None, context: UploadContext
) -> pd.DataFrame:
    """The enrollment's role family must be the user's: as users.csv says, or, for a user only the
    roster has (a delta), as the roster says; else a staff member could be enrolled as a student and
    the enrollment would be committed without anyone in it."""
    user_ids = enrollments["userSourcedId"]
    user_role = pd.Series(pd.NA, index=enrollments.index, dtype=STRING)
    if users is not None:
        user_role = looked_up(user_ids, _first_by_id(users, "role"))
    family = _role_family(enrollments["role"])
    user_family = _role_family(user_role)
    only_in_roster = user_role.isna() & is_in(user_ids, context.existing_user_ids)
    roster_student = only_in_roster & is_in(user_ids, context.existing_student_ids)
    user_family[only_in_roster] = "staff"
    user_family[roster_student] = "student"
    wrong = (user_role.notna() | only_in_roster) & (family != "") & (family != user_family)
    said = "the user's role is " + user_role[wrong]
    said[only_in_roster[wrong]] = "the user is staff in the roster"
    said[roster_student[wrong]] = "the user is a student in the roster"
    return row_issues(
        file,
        enrollments.index[wrong],
        "role",
        enrollments.loc[wrong, "role"],
        "role_mismatch",
        message="enrolled as " + enrollments.loc[wrong, "role"] + " but " + said,
    )


ROLE_FAMILIES = pd.Series(
    {
        **dict.fromkeys(sorted(STUDENT_ROLES), "student"),
        **dict.fromkeys(sorted(STAFF_ROLES), "staff"),
        **dict.fromkeys(sorted(GUARDIAN_ROLES), "guardian"),
    },
    dtype=STRING,
)


def _role_family(roles: pd.Series) -> pd.Series:
    """student, staff, guardian, or "" for a role of none of them (or none at all)."""
    return looked_up(roles, ROLE_FAMILIES).fillna("")


def _school_agreement(file: str, enrollments: pd.DataFrame, classes: pd.DataFrame) -> pd.DataFrame:
    class_school = looked_up(enrollments["classSourcedId"], _first_by_id(classes, "schoolSourcedId"))
    school = enrollments["schoolSourcedId"]
    wrong = class_school.notna() & (school != "") & (class_school != "") & (school != class_school)
    return row_issues(
        file,
        enrollments.index[wrong],
        "schoolSourcedId",
        school[wrong],
        "school_mismatch",
        message="the class is at School ID " + class_school[wrong],
    )


def _guardian_references(frames: Frames, context: UploadContext, notes: list[Issue]) -> pd.DataFrame:
    guardians = frames.get("guardians.csv")
    if guardians is None:
        return concat_issues([])
    issues = [_student_reference("guardians.csv", guardians, frames, context, notes)]
    issues.append(_guardian_count(guardians, frames.get("users.csv")))
    issues.append(_guardian_user_conflicts(guardians, frames.get("users.csv")))
    return concat_issues(issues)


def _guardian_user_conflicts(guardians: pd.DataFrame, users: pd.DataFrame | None) -> pd.DataFrame:
    """A guardian given both ways, as a guardian-type row of users.csv and in guardians.csv, must be
    the same person with the same contacts: otherwise one silently overwrites the other."""
    if users is None:
        return concat_issues([])
    guardian_users = users[is_in(users["role"], GUARDIAN_ROLES)].drop_duplicates("sourcedId")
    rows = guardians[is_in(guardians["guardianSourcedId"], guardian_users["sourcedId"])]
    keys = rows["guardianSourcedId"]
    by_id = guardian_users.set_index("sourcedId")
    differs = pd.Series(False, index=rows.index)
    for column in CONTACT_COLUMNS:
        if column in rows.columns and column in by_id.columns:
            differs |= (rows[column] != keys.map(by_id[column]).astype(STRING)).fillna(True).to_numpy()
    line = keys[differs].map(pd.Series(guardian_users.index, index=guardian_users["sourcedId"]))
    return row_issues(
        "guardians.csv",
        rows.index[differs],
        "guardianSourcedId",
        keys[differs],
        "guardian_conflict",
        message="guardian "
        + keys[differs]
        + " differs in name or contact from users.csv line "
        + line.astype(str),
    )


def _attribute_references(frames: Frames, context: UploadContext, notes: list[Issue]) -> pd.DataFrame:
    attributes = frames.get("student_attributes.csv")
    if attributes is None:
        return concat_issues([])
    return _student_reference("student_attributes.csv", attributes, frames, context, notes)


def _demographic_references(frames: Frames, context: UploadContext, notes: list[Issue]) -> pd.DataFrame:
    """demographics.csv: each row's sourcedId is a user's (OneRoster), in users.csv or the roster."""
    file = "demographics.csv"
    demographics, users = frames.get(file), frames.get("users.csv")
    if demographics is None:
        return concat_issues([])
    if users is None and not context.existing_user_ids:
        notes.append(_unchecked(file, "users.csv"))
        return concat_issues([])
    user_ids = _union(_ids(users, "sourcedId"), context.existing_user_ids)
    return _dangling(file, demographics, "sourcedId", user_ids, "unknown_user")


def _student_reference(
    file: str, frame: pd.DataFrame, frames: Frames, context: UploadContext, notes: list[Issue]
) -> pd.DataFrame:
    users = frames.get("users.csv")
    if users is None and not context.existing_student_ids:
        notes.append(_unchecked(file, "users.csv"))
        return concat_issues([])
    students = _union(_student_ids(users), context.existing_student_ids)
    return _dangling(file, frame, "studentSourcedId", students, "unknown_student")


def _agent_references(users: pd.DataFrame, guardians: pd.DataFrame | None) -> pd.DataFrame:
    """agentSourcedIds: each a guardian-type user or a guardians.csv guardian; at most six."""
    if "agentSourcedIds" not in users.columns:
        return concat_issues([])
    file = "users.csv"
    agents = users["agentSourcedIds"]
    agents = agents[agents != ""]
    items = split_list(agents)
    items = items[items != ""]
    row_role = users["role"].reindex(items.index)
    guardian_users = is_in(users["role"], GUARDIAN_ROLES)
    guardian_ids = _union(users.loc[guardian_users, "sourcedId"], _ids(guardians, "guardianSourcedId"))
    # On a student row the agents are guardians; on a guardian row, the guardian's students.
    unknown = is_in(row_role, STUDENT_ROLES) & ~is_in(items, guardian_ids)
    unknown_student = is_in(row_role, GUARDIAN_ROLES) & ~is_in(items, _student_ids(users))
    counts = items.groupby(level=0).size()
    too_many = counts[counts > MAX_GUARDIANS_PER_STUDENT]
    return concat_issues(
        [
            row_issues(file, items.index[unknown], "agentSourcedIds", items[unknown], "unknown_guardian"),
            row_issues(
                file,
                items.index[unknown_student],
                "agentSourcedIds",
                items[unknown_student],
                "unknown_student",
            ),
            row_issues(
                file,
                too_many.index,
                "agentSourcedIds",
                too_many.astype(str),
                "too_many_guardians",
                message="lists " + too_many.astype(str) + " agents; at most 6 are allowed",
            ),
        ]
    )


def _guardian_count(guardians: pd.DataFrame, users: pd.DataFrame | None) -> pd.DataFrame:
    """At most six distinct guardians per student, counting guardians.csv and agentSourcedIds."""
    pairs = [guardians[["studentSourcedId", "guardianSourcedId"]]]
    if users is not None and "agentSourcedIds" in users.columns:
        students = users[is_in(users["role"], STUDENT_ROLES) & (users["agentSourcedIds"] != "")]
        items = split_list(students["agentSourcedIds"])
        pairs.append(
            pd.DataFrame(
                {
                    "studentSourcedId": students["sourcedId"].reindex(items.index).to_numpy(),
                    "guardianSourcedId": items.to_numpy(),
                }
            )
        )
    linked = pd.concat(pairs, ignore_index=True).drop_duplicates()
    counts = linked.groupby("studentSourcedId").size()
    over = counts[counts > MAX_GUARDIANS_PER_STUDENT]
    rows = is_in(guardians["studentSourcedId"], over.index)
    total = guardians.loc[rows, "studentSourcedId"].map(over).astype(str)
    return row_issues(
        "guardians.csv",
        guardians.index[rows],
        "studentSourcedId",
        guardians.loc[rows, "studentSourcedId"],
        "too_many_guardians",
        message="the student has " + total + " guardians; at most 6 are allowed",
    )


def _dangling(file: str, frame: pd.DataFrame, column: str, known: pd.Series, code: str):
    values = frame[column]
    missing = (values != "") & ~is_in(values, known)
    return row_issues(file, frame.index[missing], column, values[missing], code)


def _unchecked(file: str, needed: str) -> Issue:
    return Issue(
        file,
        "references_unchecked",
        value=needed,
        message=f"{needed} is not in the upload: references from {file} to it were not checked",
    )


def _unread(note: Issue, unread_files: frozenset[str]) -> Issue:
    """A file in the upload that could not be read is not a missing one: its own issues say why."""
    if note.code != "references_unchecked" or note.value not in unread_files:
        return note
    message = (
        f"{note.value} could not be read (see its issues): references from {note.file} to it were not checked"
    )
    return dataclasses.replace(note, message=message)


def _ids(frame: pd.DataFrame | None, column: str) -> pd.Series:
    if frame is None or column not in frame.columns:
        return pd.Series([], dtype=STRING)
    return frame[column]


def _student_ids(users: pd.DataFrame | None) -> pd.Series:
    if users is None:
        return pd.Series([], dtype=STRING)
    return users.loc[is_in(users["role"], STUDENT_ROLES), "sourcedId"]


def _union(ids: pd.Series, more: pd.Series | frozenset[str]) -> pd.Series:
    """Every ID of either, as one column to look values up in (in no particular order: sorting a
    roster's 100k IDs took longer than the lookups)."""
    extra = more if isinstance(more, pd.Series) else pd.Series(list(more), dtype=STRING)
    return pd.concat([ids.astype(STRING), extra.astype(STRING)], ignore_index=True)


def _first_by_id(frame: pd.DataFrame, column: str) -> pd.Series:
    deduplicated = frame.drop_duplicates("sourcedId")
    return pd.Series(deduplicated[column].array, index=pd.Index(deduplicated["sourcedId"].array))

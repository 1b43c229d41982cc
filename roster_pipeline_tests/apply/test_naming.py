"""Rows named in the district's words for messages: by SIS ID, else name (and email for staff and
guardians), the internal id only when nothing else is known; links by both ends; one query per table
however many rows are named; on SQLite and PostgreSQL."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, event

from roster_pipeline.apply.change_log import CHANGE_LOG
from roster_pipeline.apply.naming import listed, name_changes
from roster_pipeline.roster.tenants import find_tenant
from roster_pipeline_tests.importing import DEMO, roster_table


def test_rows_the_log_names_by_id_are_named_from_the_roster(demo_roster: Engine) -> None:
    noah = int(roster_table(demo_roster, "students")["id"].iloc[0])
    okafor = int(roster_table(demo_roster, "staff")["id"].iloc[0])
    enrollments = roster_table(demo_roster, "enrollments")
    teaching = int(enrollments.loc[enrollments["staff_id"] == okafor, "id"].iloc[0])
    changes = pd.DataFrame(
        {
            "entity": ["students", "staff", "students", "staff_enrollments", "students"],
            "key": [f"#{noah}", f"#{okafor}", "#99999", f"#{teaching}", "0001001"],
        }
    )
    no_log = pd.DataFrame(columns=[column.name for column in CHANGE_LOG.columns])
    statements: list[str] = []
    with demo_roster.connect() as connection:
        district_id = find_tenant(connection, DEMO).id
        event.listen(demo_roster, "before_cursor_execute", lambda *args: statements.append(args[2]))
        names = name_changes(connection, district_id, changes, no_log)
    assert names["name"].tolist() == [
        "student Noah Ng",
        "staff Helen Okafor <h.okafor@lakeside.example.org>",
        "student (id 99999)",  # no such row, nothing logged: the id is all there is
        "enrollment of staff Helen Okafor <h.okafor@lakeside.example.org> in classroom Art Club",
        "student 0001001",
    ]
    assert names["public"].tolist() == [  # for Dagster: people without an SIS ID by id, names hidden
        f"student (name hidden, id {noah})",
        f"staff (name hidden, id {okafor})",
        "student (id 99999)",
        f"enrollment of staff (name hidden, id {okafor}) in classroom Art Club",
        "student 0001001",
    ]
    # One query per table read (students, staff, enrollments, then the enrollment's two ends), not
    # one per row.
    assert len(statements) == 5, statements


def test_a_long_list_is_cut_and_the_rest_counted() -> None:
    names = pd.Series([f"student {n:07d}" for n in range(10)])
    assert listed(names, 25) == ", ".join(names) + " and 15 more"
    assert listed(names.head(2), 2) == "student 0000000, student 0000001"

"""Rows of the roster named in the district's words, for the messages a data team reads: internal ids
mean nothing to them, and least for records made by hand, which have no SIS ID to look up.

A record is named by its SIS ID; without one, by what the district typed in (a person's name, with
the email for staff and guardians; a classroom's title; a school's name), and by its internal id, in
parentheses, only when nothing else is known. A link is named by both of its ends, each the same way.
Values come from the change log where it holds the row (the row as the run changed it, even if its
id holds another row now), else from the roster: one query per table, however many rows are named.

Each name comes twice: for the tenant's own people (the CLI), and ``public``, for what every user of
the Dagster UI reads, where a person's name and email are hidden and the internal id names them.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Connection, Table, select

from roster_pipeline.apply.change_log import CREATED_ROWS_KEY, parse_json_column
from roster_pipeline.matching.entities import ENTITIES
from roster_pipeline.roster.models import School

# How many rows one message names; the rest are counted ("and 12 more").
SHOWN = 10

RECORD_NOUNS = {
    "schools": "school",
    "classrooms": "classroom",
    "students": "student",
    "staff": "staff",
    "guardians": "guardian",
}
PEOPLE = frozenset({"students", "staff", "guardians"})
WITH_EMAIL = frozenset({"staff", "guardians"})  # students' emails are often missing or shared
# A link in words: {0}, {1}... are its parents' names (in ``EntitySpec.parents`` order), then its
# extra keys (an attribute's name).
LINK_PHRASES = {
    "student_enrollments": "enrollment of student {1} in classroom {0}",
    "staff_enrollments": "enrollment of staff {1} in classroom {0}",
    "guardian_links": "guardian {1} of student {0}",
    "student_attributes": "attribute {1} of student {0}",
}
TABLES: dict[str, Table] = {
    "schools": School.__table__,
    **{name: spec.table for name, spec in ENTITIES.items()},
}


def listed(names: pd.Series, total: int) -> str:
    """``names`` joined for a message (at most SHOWN), then how many of ``total`` were left out."""
    shown = list(names)[:SHOWN]
    more = total - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def name_changes(
    connection: Connection, district_id: int, changes: pd.DataFrame, logs: pd.DataFrame
) -> pd.DataFrame:
    """Each of ``changes`` (``entity``, ``key`` as the change log names rows) in words, by its index:
    ``name`` for the tenant's own people, ``public`` without personal values. ``logs``: change log
    entries that may hold these rows (the run's own first, then later runs'), read where the key
    alone does not name the row (``#<id>``, or a link to a record made by hand)."""
    names = pd.DataFrame({"name": "", "public": ""}, index=changes.index, dtype=object)
    for entity, rows in changes.groupby("entity", sort=False):
        keys = rows["key"].astype(object)
        if entity not in TABLES:
            names.loc[rows.index, ["name", "public"]] = (f"{entity} " + keys).to_numpy()[:, None]
            continue
        values = _logged_values(keys, logs[logs["entity"] == entity])
        values = _with_roster_values(connection, TABLES[entity], district_id, values)
        if entity in RECORD_NOUNS:
            sis_ids = keys.where(~keys.str.startswith("#"), "")
            words = [RECORD_NOUNS[entity] + " " + w for w in _record_names(entity, sis_ids, values)]
        else:
            words = _link_names(connection, district_id, entity, values)
        names.loc[rows.index, "name"] = words[0].to_numpy()
        names.loc[rows.index, "public"] = words[1].to_numpy()
    return names


def _logged_values(keys: pd.Series, entries: pd.DataFrame) -> pd.DataFrame:
    """The fields the log holds for each key (its row before the change, else after), and the key
    of the entry they came from (``logged_key``: for a link, its parents' SIS IDs). A ``#<id>`` key
    the log does not name row by row (a created row) is looked up by id among the entries."""
    entries = entries[entries["key"] != CREATED_ROWS_KEY]
    by_key = entries[entries["key"].isin(keys)].drop_duplicates("key")
    values = _entry_values(by_key).set_index("logged_key", drop=False).reindex(keys.to_numpy())
    values.index = keys.index
    ids = pd.to_numeric(keys.where(keys.str.startswith("#")).str[1:], errors="coerce").astype("Int64")
    unresolved = ids.notna() & values["logged_key"].isna()
    if unresolved.any():
        # Only the entries that may hold one of these ids are parsed (a later run may log 100k rows).
        wanted = "|".join(str(value) for value in ids[unresolved].dropna().unique())
        holds = rf'[{{,]"id":(?:{wanted})[,}}]'
        entries = entries[
            entries["before"].str.contains(holds, na=False) | entries["after"].str.contains(holds, na=False)
        ]
        logged = _entry_values(entries)
        logged = logged[logged["id"].isin(ids[unresolved].dropna())].drop_duplicates("id")
        found = logged.set_index("id", drop=False).reindex(ids[unresolved].to_numpy())
        found.index = ids[unresolved].index
        values = found.combine_first(values).reindex(keys.index)
    values["id"] = _ids(values, "id").fillna(ids)
    return values


def _entry_values(entries: pd.DataFrame) -> pd.DataFrame:
    before = parse_json_column(entries["before"]).reindex(entries.index)
    after = parse_json_column(entries["after"]).reindex(entries.index)
    values = before.combine_first(after) if len(after.columns) else before
    values["logged_key"] = entries["key"]
    values["id"] = _ids(values, "id")
    return values


def _ids(values: pd.DataFrame, column: str) -> pd.Series:
    """``column`` as nullable integers (<NA> where missing, or where the column is not there)."""
    if column not in values:
        return pd.Series(pd.NA, index=values.index, dtype="Int64")
    return pd.Series(pd.to_numeric(values[column], errors="coerce"), index=values.index).astype("Int64")


def _with_roster_values(
    connection: Connection, table: Table, district_id: int, values: pd.DataFrame
) -> pd.DataFrame:
    """``values`` with what the roster holds now under each row's id: every field for a row the
    log does not hold, the fields the log leaves out (a school's name) for one it does."""
    current = _roster_rows(connection, table, district_id, values["id"])
    logged = values["logged_key"].notna()
    values = values.copy()
    for column in current.columns.drop("id"):  # the id named stays, for a row gone since
        now = pd.Series(current[column].to_numpy(), index=values.index)
        values[column] = values[column].where(logged, now) if column in values else now
    return values


def _roster_rows(connection: Connection, table: Table, district_id: int, ids: pd.Series) -> pd.DataFrame:
    """The tenant's rows of ``table`` with these ids (one query), one row per id, in their order."""
    wanted = sorted({int(value) for value in ids.dropna()})
    rows: list = []
    if wanted:
        query = select(table).where(table.c.district_id == district_id, table.c.id.in_(wanted))
        rows = connection.execute(query).fetchall()
    frame = pd.DataFrame(rows, columns=[column.name for column in table.columns], dtype=object)
    return frame.set_index(frame["id"].astype("Int64")).reindex(ids.astype("Int64").to_numpy())


def _text(values: pd.DataFrame, column: str) -> pd.Series:
    if column not in values:
        return pd.Series("", index=values.index, dtype=object)
    return values[column].astype(object).where(values[column].notna(), "").astype(str).str.strip()


def _record_names(entity: str, sis_ids: pd.Series, values: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Records by SIS ID (``sis_ids``, else the values'), else by what the district typed in, else
    by id; and the same with a person's name and email hidden (then named by id)."""
    if entity == "schools":  # a school's own key is its name: School IDs are what set-id changes
        sis = pd.Series("", index=values.index, dtype=object)
        name = _text(values, "name")
    else:
        sis = sis_ids.where(sis_ids != "", _text(values, "sis_id"))
        if entity == "classrooms":
            name = _text(values, "title")
        else:
            name = (_text(values, "given_name") + " " + _text(values, "family_name")).str.strip()
            email = _text(values, "email")
            if entity in WITH_EMAIL:
                name = (name + " <" + email + ">").where(email != "", name).str.strip()
    ids = _ids(values, "id")
    unknown = ("(id " + ids.astype(str) + ")").where(ids.notna(), "(unknown)")
    named = sis.where(sis != "", name.where(name != "", unknown)).astype(str)
    if entity not in PEOPLE:
        return named, named
    hidden = ("(name hidden, id " + ids.astype(str) + ")").where(ids.notna(), "(name hidden)")
    return named, sis.where(sis != "", hidden.where(name != "", unknown)).astype(str)


def _part(parts: pd.Series, position: int) -> pd.Series:
    """Each split key's part at ``position`` ("" where it has none)."""
    part = parts.str[position].astype(object)
    return part.where(part.notna(), "").astype(str)


def _link_names(
    connection: Connection, district_id: int, entity: str, values: pd.DataFrame
) -> tuple[pd.Series, pd.Series]:
    """Links by both ends: a parent by its SIS ID from the log's key (the parents' SIS IDs joined by
    ``|``, empty for a record made by hand), else by the parent record the link points at."""
    spec = ENTITIES[entity]
    parts = _text(values, "logged_key").str.split("|")
    words, public = [], []
    for position, parent in enumerate(spec.parents):
        known = _part(parts, position)
        ids = _ids(values, parent.column).where(known == "")
        current = _roster_rows(connection, TABLES[parent.entity], district_id, ids)
        current.index = values.index
        current["id"] = ids
        named, hidden = _record_names(parent.entity, known, current)
        words.append(named)
        public.append(hidden)
    for offset, extra in enumerate(spec.extra_keys):  # an attribute's name, shown in plan samples too
        known = _part(parts, len(spec.parents) + offset)
        words.append(known.where(known != "", _text(values, extra)))
        public.append(words[-1])
    phrase = LINK_PHRASES.get(entity, entity + " " + " | ".join(f"{{{i}}}" for i in range(len(words))))

    def phrased(ends: list[pd.Series]) -> pd.Series:
        return pd.Series([phrase.format(*row) for row in zip(*ends, strict=True)], index=values.index)

    return phrased(words), phrased(public)

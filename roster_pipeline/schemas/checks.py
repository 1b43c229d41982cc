"""Pandera checks named by issue code, so a failure maps straight onto the issues table.

Every check lets an empty value pass except `required`: emptiness is one rule, reported once.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import pandera.pandas as pa

from roster_pipeline.schemas.vocabularies import DATE_PATTERN, DATETIME_PATTERN, ID_PATTERN


def required() -> pa.Check:
    return pa.Check(lambda s: s.str.len() > 0, name="required_value")


def identifier() -> pa.Check:
    return pa.Check(lambda s: (s == "") | s.str.fullmatch(ID_PATTERN), name="invalid_id")


def identifier_list() -> pa.Check:
    return pa.Check(lambda s: each_item(s, lambda items: items.str.fullmatch(ID_PATTERN)), name="invalid_id")


def unique(code: str = "duplicate_id") -> pa.Check:
    return pa.Check(lambda s: (s == "") | ~s.duplicated(keep="first"), name=code)


def one_of(values: Iterable[str], code: str) -> pa.Check:
    allowed = sorted(values)
    return pa.Check(lambda s: (s == "") | s.isin(allowed), name=code)


def each_one_of(values: Iterable[str], code: str) -> pa.Check:
    allowed = sorted(values)
    return pa.Check(lambda s: each_item(s, lambda items: items.isin(allowed)), name=code)


def matches(pattern: str, code: str) -> pa.Check:
    return pa.Check(lambda s: (s == "") | s.str.fullmatch(pattern), name=code)


def boolean() -> pa.Check:
    return pa.Check(lambda s: (s == "") | s.str.lower().isin(["true", "false"]), name="invalid_boolean")


def date() -> pa.Check:
    return pa.Check(lambda s: (s == "") | is_date(s), name="invalid_date")


def datetime() -> pa.Check:
    return pa.Check(
        lambda s: (s == "") | (s.str.fullmatch(DATETIME_PATTERN) & is_date(s.str.slice(0, 10))),
        name="invalid_datetime",
    )


def is_date(values: pd.Series) -> pd.Series:
    """A real calendar date written YYYY-MM-DD (2026-02-30 is not)."""
    shaped = values.str.fullmatch(DATE_PATTERN).fillna(False).astype(bool)
    parsed = pd.to_datetime(values.where(shaped), format="%Y-%m-%d", errors="coerce")
    return shaped & parsed.notna()


def split_list(values: pd.Series) -> pd.Series:
    """A comma-separated list field exploded to one trimmed item per row, keeping the row's index."""
    items = values.str.split(",").explode()
    return items.astype(values.dtype).str.strip()


def each_item(values: pd.Series, item_ok) -> pd.Series:
    """True where every item of a list field passes ``item_ok`` (an empty field passes)."""
    if values.empty:
        return pd.Series(True, index=values.index, dtype=bool)
    items = split_list(values)
    ok = item_ok(items).fillna(False).astype(bool) | (items == "")
    per_row = ok.groupby(level=0, sort=False).all()
    return per_row.reindex(values.index, fill_value=True) | (values == "")

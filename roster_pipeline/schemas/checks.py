"""Pandera checks named by issue code, so a failure maps straight onto the issues table.

Every check lets an empty value pass except `required`: emptiness is one rule, reported once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd
import pandera.pandas as pandera
import pyarrow as pa
import pyarrow.compute as pc

from roster_pipeline.frames import STRING, is_in, spelled_with
from roster_pipeline.schemas.vocabularies import (
    BOOLEANS,
    DATE_PATTERN,
    DATETIME_PATTERN,
    ID_CHARACTERS,
    ID_MAX_LENGTH,
)


def required() -> pandera.Check:
    return pandera.Check(lambda s: s.str.len() > 0, name="required_value")


def identifier() -> pandera.Check:
    return pandera.Check(lambda s: (s == "") | is_identifier(s), name="invalid_id")


def identifier_list() -> pandera.Check:
    return pandera.Check(lambda s: each_item(s, is_identifier), name="invalid_id")


def is_identifier(values: pd.Series) -> pd.Series:
    """``ID_PATTERN`` in full, checked byte by byte (an enrollments file holds millions of IDs)."""
    return spelled_with(values, ID_CHARACTERS, ID_MAX_LENGTH)


def unique(code: str = "duplicate_id") -> pandera.Check:
    return pandera.Check(lambda s: (s == "") | ~s.duplicated(keep="first"), name=code)


def one_of(values: Iterable[str], code: str) -> pandera.Check:
    allowed = sorted(values)
    return pandera.Check(lambda s: (s == "") | is_in(s, allowed), name=code)


def each_one_of(values: Iterable[str], code: str) -> pandera.Check:
    allowed = sorted(values)
    return pandera.Check(lambda s: each_item(s, lambda items: is_in(items, allowed)), name=code)


def matches(pattern: str, code: str) -> pandera.Check:
    return pandera.Check(lambda s: (s == "") | s.str.fullmatch(pattern), name=code)


def boolean() -> pandera.Check:
    return pandera.Check(lambda s: (s == "") | is_in(s.str.lower(), BOOLEANS), name="invalid_boolean")


def date() -> pandera.Check:
    return pandera.Check(lambda s: (s == "") | is_date(s), name="invalid_date")


def datetime() -> pandera.Check:
    return pandera.Check(
        lambda s: (s == "") | (s.str.fullmatch(DATETIME_PATTERN) & is_date(s.str.slice(0, 10))),
        name="invalid_datetime",
    )


def per_unique_value(check: Callable[[pd.Series], pd.Series]) -> Callable[[pd.Series], pd.Series]:
    """Run a costly check once per distinct value (a district has few distinct dates) and spread the
    answer back over the rows."""

    def checked(values: pd.Series) -> pd.Series:
        codes, uniques = pd.factorize(values, use_na_sentinel=True)
        if len(uniques) * 2 > len(values):
            return check(values)
        answers = check(pd.Series(uniques, dtype=values.dtype)).fillna(False).to_numpy(dtype=bool)
        spread = np.where(codes >= 0, answers[np.maximum(codes, 0)], False)
        return pd.Series(spread, index=values.index)

    return checked


@per_unique_value
def is_date(values: pd.Series) -> pd.Series:
    """A real calendar date written YYYY-MM-DD (2026-02-30 is not)."""
    shaped = values.str.fullmatch(DATE_PATTERN).fillna(False).astype(bool)
    text = pa.array(values.where(shaped, "").astype(STRING).array).cast(pa.string())
    parsed = pc.strptime(text, format="%Y-%m-%d", unit="s", error_is_null=True)
    # strptime rolls 2026-02-30 over to March; a real date prints back as written.
    real = pc.fill_null(pc.equal(pc.strftime(parsed, format="%Y-%m-%d"), text), False)
    return shaped & pd.Series(real.to_numpy(zero_copy_only=False), index=values.index)


def split_list(values: pd.Series) -> pd.Series:
    """A comma-separated list field exploded to one trimmed item per row, keeping the row's index."""
    lists = pc.split_pattern(pa.array(values.astype(STRING).array), ",")
    items = pc.utf8_trim_whitespace(pc.list_flatten(lists))
    parents = pc.list_parent_indices(lists).to_numpy(zero_copy_only=False)
    return pd.Series(pd.array(items, dtype=STRING), index=values.index[parents]).astype(values.dtype)


def first_item(values: pd.Series) -> pd.Series:
    """A comma-separated list field's first item, trimmed."""
    lists = pc.split_pattern(pa.array(values.astype(STRING).array), ",", max_splits=1)
    first = pc.utf8_trim_whitespace(pc.list_element(lists, 0))
    return pd.Series(pd.array(first, dtype=STRING), index=values.index)


def each_item(values: pd.Series, item_ok) -> pd.Series:
    """True where every item of a list field passes ``item_ok`` (an empty field passes)."""
    if values.empty:
        return pd.Series(True, index=values.index, dtype=bool)
    if not values.str.contains(",", regex=False).any():
        return item_ok(values).fillna(False).astype(bool) | (values == "")
    items = split_list(values)
    ok = item_ok(items).fillna(False).astype(bool) | (items == "")
    per_row = ok.groupby(level=0, sort=False).all()
    return per_row.reindex(values.index, fill_value=True) | (values == "")

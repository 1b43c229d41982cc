"""Small vectorised helpers over pyarrow-backed string columns that pandas makes slow."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

STRING = pd.StringDtype("pyarrow")


def is_in(values: pd.Series, allowed: pd.Series | pd.Index | Iterable[str]) -> pd.Series:
    """``values.isin(allowed)`` computed by Arrow: pandas converts a large ``allowed`` value by value."""
    if not isinstance(allowed, pd.Series | pd.Index):
        allowed = pd.Series(list(allowed), dtype=STRING)
    value_set = _arrow(pd.Series(allowed)).drop_null()
    found = pc.is_in(_arrow(values), value_set=value_set.cast(pa.large_string()))
    return pd.Series(found.fill_null(False).to_numpy(zero_copy_only=False), index=values.index)


def as_text(values: pd.Series) -> pd.Series:
    """``values.astype(STRING)``; a categorical is expanded by Arrow from its codes (pandas goes
    through a Python object per row)."""
    if not isinstance(values.dtype, pd.CategoricalDtype):
        return values.astype(STRING)
    codes = values.cat.codes.to_numpy()
    categories = _arrow(pd.Series(values.cat.categories))
    expanded = categories.take(pa.array(codes, mask=codes < 0))
    return pd.Series(expanded, index=values.index, dtype=STRING)


def _arrow(values: pd.Series) -> pa.Array:
    if values.dtype != STRING:
        values = values.astype(STRING)
    return pa.array(values.array).cast(pa.large_string())

"""Schools: by School ID in a district upload; the one school in a school upload (School IDs optional)."""

from __future__ import annotations

import pandas as pd

from roster_pipeline.schemas.checks import first_item, split_list
from roster_pipeline.validation.scope import SCHOOL


class SchoolMatcher:
    """Turns the School IDs written in an upload into the roster's school ids."""

    def __init__(self, schools: pd.DataFrame, scope: str) -> None:
        active = schools[schools["archived_at"].isna()]
        self.scope = scope
        self.only_school = int(active["id"].iloc[0]) if scope == SCHOOL and len(active) == 1 else None
        with_id = active[active["school_id"] != ""]
        self.by_school_id = pd.Series(with_id["id"].to_numpy(), index=with_id["school_id"].to_numpy())

    @property
    def known_school_ids(self) -> frozenset[str]:
        return frozenset(self.by_school_id.index)

    def first_school(self, school_ids: pd.Series) -> pd.Series:
        """The roster school of each row's first listed School ID (``<NA>`` when none matches)."""
        if self.only_school is not None:
            return pd.Series(self.only_school, index=school_ids.index, dtype="Int64")
        return self._lookup(first_item(school_ids))

    def all_schools(self, school_ids: pd.Series) -> set[int]:
        if self.only_school is not None:
            return {self.only_school} if len(school_ids) else set()
        distinct = pd.Series(school_ids[school_ids != ""].unique(), dtype=school_ids.dtype)
        items = split_list(distinct)
        return {int(pk) for pk in self._lookup(items).dropna().unique()}

    def _lookup(self, school_ids: pd.Series) -> pd.Series:
        positions = self.by_school_id.index.get_indexer(school_ids.to_numpy())
        found = pd.array(self.by_school_id.to_numpy(), dtype="Int64").take(positions, allow_fill=True)
        return pd.Series(found, index=school_ids.index, dtype="Int64")

"""People not matched by SIS ID: staff by email, guardians by email then sms.

A match gives the existing record the upload's SIS ID (shown in the plan as an update of ``sis_id``),
so a teacher made by hand, or re-keyed in the SIS, is updated rather than duplicated. Only unambiguous
pairs match: a contact shared by two people on either side matches nobody.
"""

from __future__ import annotations

import pandas as pd

from roster_pipeline.frames import is_in


def match_by_contact(
    incoming: pd.DataFrame, existing: pd.DataFrame, contacts: tuple[str, ...]
) -> pd.DataFrame:
    """``existing`` with ``key`` set to the incoming SIS ID of each contact match (see ``matched_by``)."""
    existing = existing.copy()
    for contact in contacts:
        unmatched_in = incoming[~is_in(incoming["key"], existing["key"])]
        free = existing[~is_in(existing["key"], incoming["key"])]
        pairs = _unique_pairs(unmatched_in, free, contact)
        if pairs.empty:
            continue
        existing.loc[pairs["index"].to_numpy(), "key"] = pairs["key"].to_numpy()
        existing.loc[pairs["index"].to_numpy(), "matched_by"] = contact
    return existing


def _unique_pairs(incoming: pd.DataFrame, existing: pd.DataFrame, contact: str) -> pd.DataFrame:
    left = pd.DataFrame({"contact": _normalised(incoming[contact]), "key": incoming["key"].to_numpy()})
    right = pd.DataFrame({"contact": _normalised(existing[contact]), "index": existing.index.to_numpy()})
    left = left[left["contact"] != ""].drop_duplicates("contact", keep=False)
    right = right[right["contact"] != ""].drop_duplicates("contact", keep=False)
    return left.merge(right, on="contact")


def _normalised(values: pd.Series) -> pd.Series:
    return values.fillna("").str.strip().str.lower().reset_index(drop=True)

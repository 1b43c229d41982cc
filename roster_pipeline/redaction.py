"""Keeping secrets and children's personal data out of what many people read: logs, run records,
error messages and Dagster metadata.

- A password inside a URL (``postgresql://user:secret@host/db``, an endpoint with user info) is masked
  wherever text may echo one (error messages, alerts).
- A webhook URL carries its secret in the path, so it is shown by its host only.
- Dagster keeps metadata in its event log for good, and every user of the UI sees every tenant's runs,
  so plan samples there name records by ID and hide the values of personal fields. The full plan stays
  in the tenant's own results folder.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pandas as pd

HIDDEN = "(hidden)"
# scheme://user:password@ — the password runs to the last "@" before a space or "/".
_URL_PASSWORD = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.\-]*://[^:/@\s]*):(?P<password>[^\s/]*)@")
# Record fields that identify or describe a child or a parent; student attributes are all sensitive
# (birth date, IEP, 504, free lunch), so the whole entity is.
PERSONAL_FIELDS = frozenset({"given_name", "family_name", "middle_name", "email", "sms", "phone", "username"})
PERSONAL_ENTITIES = frozenset({"student_attributes"})


def hide_password(text: str) -> str:
    """``text`` with the password of every URL in it replaced by ``***``."""
    return _URL_PASSWORD.sub(r"\g<head>:***@", text)


def webhook_label(url: str) -> str:
    """A webhook URL as it may be shown: scheme and host, never the path or query that hold its token."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.hostname:
        return "(webhook URL hidden)"
    return f"{parts.scheme}://{parts.hostname}/…"


def hide_personal_values(changes: pd.DataFrame) -> pd.DataFrame:
    """Plan changes (entity, field, old, new, ...) with the old and new values of personal fields
    replaced by ``(hidden)``; which record and which field changed stay visible."""
    personal = changes["field"].isin(PERSONAL_FIELDS) | changes["entity"].isin(PERSONAL_ENTITIES)
    if not personal.any():
        return changes
    hidden = changes.copy()
    for column in ("old", "new"):
        values = hidden[column]
        has_value = (values.astype("string").fillna("") != "").to_numpy()
        hidden[column] = values.astype(object).where(~(personal.to_numpy() & has_value), HIDDEN)
    return hidden

"""`manifest.csv`: which files an upload declares, and whether each is bulk, delta or absent."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from roster_pipeline.issues import row_issues

BULK, DELTA, ABSENT = "bulk", "delta", "absent"
FILE_MODES = (BULK, DELTA, ABSENT)
MANIFEST = "manifest.csv"


@dataclass
class Manifest:
    """File modes by file name (`users.csv` -> `bulk`); files not listed are bulk when present."""

    modes: dict[str, str] = field(default_factory=dict)
    properties: dict[str, str] = field(default_factory=dict)

    def mode_of(self, file: str) -> str:
        return self.modes.get(file, BULK)


def parse_manifest(frame: pd.DataFrame, file: str = MANIFEST) -> tuple[Manifest, pd.DataFrame]:
    """Read the propertyName/value rows (standard column names); a bad file mode is an issue on its
    line, naming the standard column (the caller renames it to the header as written)."""
    names = frame["propertyName"]
    values = frame["value"].str.lower()
    is_file = names.str.lower().str.startswith("file.")
    bad = is_file & ~values.isin(FILE_MODES)
    issues = row_issues(file, frame.index[bad], "value", frame.loc[bad, "value"], "invalid_manifest_value")
    good = is_file & ~bad
    modes = dict(zip(names[good].str.slice(5).str.lower() + ".csv", values[good], strict=True))
    properties = dict(zip(names[~is_file], frame.loc[~is_file, "value"], strict=True))
    return Manifest(modes, properties), issues

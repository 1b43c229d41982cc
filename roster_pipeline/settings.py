"""Where the roster database and run artefacts live, read once from flags or the environment.

``ROSTER_DATABASE_URL`` (any SQLAlchemy URL; default a SQLite file in the data folder) and
``ROSTER_DATA_DIR`` (default ``./data``). Dagster reads the same variables through its resources.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from roster_pipeline.roster.database import default_database_url

DATABASE_URL_VARIABLE = "ROSTER_DATABASE_URL"
DATA_DIR_VARIABLE = "ROSTER_DATA_DIR"


@dataclass(frozen=True)
class RuntimeSettings:
    database_url: str
    data_dir: Path


def runtime_settings(
    database_url: str | None = None,
    data_dir: Path | None = None,
    environ: Mapping[str, str] = os.environ,
) -> RuntimeSettings:
    folder = Path(data_dir or environ.get(DATA_DIR_VARIABLE) or "data")
    url = database_url or environ.get(DATABASE_URL_VARIABLE) or default_database_url(folder)
    return RuntimeSettings(url, folder)

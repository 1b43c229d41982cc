"""The import as a separate process: the real ``roster-pipeline import`` command, pointed at a test's
roster (its PostgreSQL schema travels in the URL's libpq options)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import Engine

from roster_pipeline_tests.faults.database import search_path_option

REPO = Path(__file__).parents[2]


def database_url(engine: Engine, application_name: str | None = None) -> str:
    """The engine's URL for another process, in the same schema (and named, to find it in
    ``pg_stat_activity``)."""
    url = engine.url
    if option := search_path_option(engine):
        named = {"application_name": application_name} if application_name else {}
        url = url.update_query_dict({"options": option, **named})
    return url.render_as_string(hide_password=False)


def import_command(
    engine: Engine,
    upload: Path,
    tenant: str,
    data_dir: Path,
    *,
    commit: bool = True,
    application_name: str | None = None,
) -> list[str]:
    return [
        *(sys.executable, "-m", "roster_pipeline.cli.main", "import", str(upload), "--tenant", tenant),
        *(["--commit"] if commit else []),
        *("--json", "--database-url", database_url(engine, application_name), "--data-dir", str(data_dir)),
    ]


def child_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO)}


def start_import(command: list[str]) -> subprocess.Popen:
    return subprocess.Popen(
        command, env=child_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def outcome_of(child: subprocess.Popen, timeout_s: float = 300) -> dict:
    """The command's JSON outcome (exit 0 committed or dry run, 1 rejected)."""
    stdout, stderr = child.communicate(timeout=timeout_s)
    assert child.returncode in (0, 1), stderr[-4000:]
    return json.loads(stdout)

"""A process killed (SIGKILL) in the middle of a commit leaves the roster exactly as before, and the
same plan can then be committed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import Engine

from roster_pipeline.import_run import apply_reviewed_run
from roster_pipeline_tests.conftest import SAMPLE_UPLOAD
from roster_pipeline_tests.importing import import_upload, roster_state, roster_table

# Runs in a child process: commit the saved plan, but stop for good just before the change log is
# written (every record and link already sent to the database, inside the open transaction).
COMMIT_AND_HANG = """
import json, sys, time
from pathlib import Path
from roster_pipeline.apply import commit
from roster_pipeline.import_run import apply_reviewed_run
from roster_pipeline.roster.database import make_engine

url, options, run_id, data_dir, marker = json.loads(sys.argv[1])
real_insert = commit.insert_rows

def insert_then_hang(connection, table, rows):
    if table.name == "change_log":
        Path(marker).write_text("writing")
        time.sleep(600)
    real_insert(connection, table, rows)

commit.insert_rows = insert_then_hang
engine = make_engine(url, **({"connect_args": {"options": options}} if options else {}))
apply_reviewed_run(engine, run_id, Path(data_dir))
"""


def test_a_commit_killed_midway_leaves_no_trace(demo_roster: Engine, tmp_path: Path) -> None:
    before = roster_state(demo_roster)
    reviewed = import_upload(demo_roster, SAMPLE_UPLOAD, tmp_path)
    marker = tmp_path / "marker"
    url = demo_roster.url.render_as_string(hide_password=False)
    options = _search_path(demo_roster)
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            COMMIT_AND_HANG,
            json.dumps([url, options, reviewed.run_id, str(tmp_path), str(marker)]),
        ],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])},
    )
    deadline = time.monotonic() + 120
    while not marker.exists() and child.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.exists(), "the child never reached the middle of its commit"
    os.kill(child.pid, signal.SIGKILL)
    child.wait(timeout=30)

    demo_roster.dispose()
    assert roster_state(demo_roster) == before
    status, _, _ = apply_reviewed_run(demo_roster, reviewed.run_id, tmp_path)
    assert status == "COMMITTED"
    assert len(roster_table(demo_roster, "students")) == 9


def _search_path(engine: Engine) -> str | None:
    with engine.connect() as connection:
        if engine.dialect.name != "postgresql":
            return None
        return f"-csearch_path={connection.exec_driver_sql('show search_path').scalar()}"

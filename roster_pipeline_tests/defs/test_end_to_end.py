"""End to end through real processes (moto server, dagster-webserver, dagster-daemon): the sensor sees
a dropped upload, the run imports it, results land in S3 and the roster changes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).parents[2] / "scripts" / "e2e_dagster.py"


def test_a_dropped_upload_is_imported_by_the_running_daemon(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--timeout", "300", "--keep", str(tmp_path / "e2e")],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "OK: run succeeded" in done.stdout and "roster has 9 students" in done.stdout

"""An import whose run cannot be recorded (the database refuses the write, or the process dies while
it waits to write) leaves no results behind: results name a run, and a run that is not in the runs
table cannot be listed, applied or rolled back, so results for it would claim what never happened."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from sqlalchemy import Engine

from roster_pipeline.apply.runs import list_runs
from roster_pipeline.cli.main import main
from roster_pipeline_tests.conftest import SAMPLE_UPLOAD
from roster_pipeline_tests.faults.commands import database_url, import_command, start_import
from roster_pipeline_tests.faults.database import (
    on_postgresql,
    refused_writes,
    table_locked,
    wait_for_backend,
)
from roster_pipeline_tests.importing import DEMO


def results_files(data_dir: Path) -> list[Path]:
    """Every results file of every run under ``data_dir`` (where the CLI and ``runs`` point users)."""
    return sorted((data_dir / "runs").glob("*/results/*"))


def runs_recorded(engine: Engine) -> int:
    with engine.connect() as connection:
        return len(list_runs(connection, DEMO))


@pytest.mark.parametrize("commit", [False, True])
def test_an_import_whose_run_cannot_be_recorded_says_so_and_leaves_no_results(
    demo_roster: Engine, tmp_path: Path, capsys: pytest.CaptureFixture[str], commit: bool
) -> None:
    data_dir = tmp_path / "data"
    where = ["--database-url", database_url(demo_roster), "--data-dir", str(data_dir)]
    with refused_writes(demo_roster, "import_runs"):
        code = main(
            ["import", str(SAMPLE_UPLOAD), "--tenant", DEMO, *(["--commit"] if commit else []), *where]
        )
    error = capsys.readouterr().err
    assert code == 2, error
    assert error.startswith("cannot run: ") and "injected failure: the database refused the write" in error
    assert runs_recorded(demo_roster) == 0
    assert results_files(data_dir) == []

    # The same upload then imports as usual, its results next to its recorded run.
    assert main(["import", str(SAMPLE_UPLOAD), "--tenant", DEMO, *where]) == 0
    assert runs_recorded(demo_roster) == 1
    assert {path.name for path in results_files(data_dir)} >= {"users_results.csv", "summary.csv"}


@on_postgresql
def test_an_import_killed_before_its_run_is_recorded_leaves_no_results(
    demo_roster: Engine, tmp_path: Path
) -> None:
    """The runs table held locked, the import's INSERT of its run waits; the process is killed
    there (SIGKILL: no cleanup runs)."""
    data_dir = tmp_path / "data"
    with table_locked(demo_roster, "import_runs") as blocker:
        child = start_import(import_command(demo_roster, SAMPLE_UPLOAD, DEMO, data_dir, commit=False))
        try:
            wait_for_backend(demo_roster, ":blocker = ANY(pg_blocking_pids(pid))", {"blocker": blocker})
        finally:
            os.kill(child.pid, signal.SIGKILL)
            child.communicate(timeout=60)
    assert runs_recorded(demo_roster) == 0
    assert results_files(data_dir) == []

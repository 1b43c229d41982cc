"""`make demo`: the demo site Dagster is started on."""

from __future__ import annotations

from pathlib import Path

import pytest
from dagster import DagsterInstance

from roster_pipeline.cli.demo import prepare_site


def test_the_demo_gives_dagster_an_absolute_home_from_the_default_relative_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, s3_endpoint: str
) -> None:
    """`make demo` runs in the repository with the data folder ``data``: `dagster dev` refused the
    Dagster home it was given, ``data/demo/dagster_home``, because it was relative."""
    monkeypatch.chdir(tmp_path)
    site = prepare_site(Path("data") / "demo", s3_endpoint)
    home = site.env()["DAGSTER_HOME"]
    assert Path(home) == tmp_path / "data" / "demo" / "dagster_home" and Path(home).is_dir()
    monkeypatch.setenv("DAGSTER_HOME", home)
    with DagsterInstance.get() as instance:  # what `dagster dev` does first
        assert instance.is_persistent

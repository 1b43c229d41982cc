"""The local and the production Dagster instance files are valid against Dagster's own config schema."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from dagster._config import process_config
from dagster._config.field import resolve_to_config_type
from dagster._core.instance.config import dagster_instance_config_schema

REPO = Path(__file__).parents[2]


@pytest.mark.parametrize("path", ["dagster.yaml", "deploy/dagster.yaml"])
def test_instance_config_is_valid(path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "DAGSTER_PG_HOST",
        "DAGSTER_PG_USER",
        "DAGSTER_PG_PASSWORD",
        "DAGSTER_PG_DB",
        "ROSTER_S3_BUCKET",
    ):
        monkeypatch.setenv(name, "x")
    document = yaml.safe_load((REPO / path).read_text())
    result = process_config(resolve_to_config_type(dagster_instance_config_schema()), document)
    assert result.success, [error.message for error in result.errors]
    limits = document["run_coordinator"]["config"]["tag_concurrency_limits"]
    assert {"key": "dagster/partition", "value": {"applyLimitPerUniqueValue": True}, "limit": 1} in limits

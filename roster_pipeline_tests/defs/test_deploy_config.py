"""The distributed deploy files are valid against Dagster's own config schemas: the Kubernetes instance
file as a whole and each class it names (run launcher, compute log manager) against that class's own
config type, and the Kubernetes and Celery jobs' run config against those jobs."""

from __future__ import annotations

import importlib
import shutil
from pathlib import Path

import pytest
import yaml
from dagster import validate_run_config
from dagster._config import process_config
from dagster._config.field import resolve_to_config_type
from dagster._core.instance.config import dagster_instance_config_schema
from dagster._core.instance.ref import InstanceRef

REPO = Path(__file__).parents[2]
DEPLOY = REPO / "deploy"
ENVIRONMENT = {
    "DAGSTER_PG_HOST": "postgres",
    "DAGSTER_PG_USER": "dagster",
    "DAGSTER_PG_PASSWORD": "secret",
    "DAGSTER_PG_DB": "dagster",
    "ROSTER_S3_BUCKET": "roster",
    "ROSTER_K8S_NAMESPACE": "roster-pipeline",
    "ROSTER_IMAGE": "registry.example.org/roster-pipeline:1.0",
    "ROSTER_CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "ROSTER_CELERY_BACKEND_URL": "redis://127.0.0.1:6379/0",
}
IMPORT_OPS = {
    "ops": {
        "raw_upload": {"config": {"upload": "s3://roster/drop/district-0042/u1/"}},
        "import_commit": {"config": {"dry_run": False}},
    }
}


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in ENVIRONMENT.items():
        monkeypatch.setenv(name, value)


def errors(result) -> list[str]:  # type: ignore[no-untyped-def]
    return [error.message for error in result.errors or []]


def loaded_classes(instance_file: Path, home: Path) -> dict[str, tuple[type, dict]]:
    """Each configurable class the instance file names, as Dagster's own loader resolves it (the
    instance reference, which is made without connecting to anything), with its config."""
    home.mkdir(exist_ok=True)
    shutil.copy(instance_file, home / "dagster.yaml")
    ref = InstanceRef.from_dir(str(home))
    named = {
        "storage": ref.storage_data,
        "run_launcher": ref.run_launcher_data,
        "compute_logs": ref.compute_logs_data,
        "run_coordinator": ref.run_coordinator_data,
    }
    return {
        section: (
            getattr(importlib.import_module(data.module_name), data.class_name),
            yaml.safe_load(data.config_yaml) or {},
        )
        for section, data in named.items()
    }


def test_the_kubernetes_instance_and_each_class_it_names_are_valid(tmp_path: Path) -> None:
    document = yaml.safe_load((DEPLOY / "k8s" / "dagster.yaml").read_text())
    result = process_config(resolve_to_config_type(dagster_instance_config_schema()), document)
    assert result.success, errors(result)
    classes = loaded_classes(DEPLOY / "k8s" / "dagster.yaml", tmp_path / "home")
    for section, (kind, config) in classes.items():
        checked = process_config(resolve_to_config_type(kind.config_type()), config)
        assert checked.success, (section, errors(checked))
    names = {section: kind.__name__ for section, (kind, _) in classes.items()}
    assert names == {
        "storage": "DagsterPostgresStorage",
        "run_launcher": "K8sRunLauncher",
        "compute_logs": "S3ComputeLogManager",
        "run_coordinator": "QueuedRunCoordinator",
    }
    limits = document["run_coordinator"]["config"]["tag_concurrency_limits"]
    assert {"key": "dagster/partition", "value": {"applyLimitPerUniqueValue": True}, "limit": 1} in limits


def test_a_misspelt_run_launcher_setting_is_caught(tmp_path: Path) -> None:
    """The check above can fail: the launcher's schema refuses what Kubernetes would not get."""
    document = yaml.safe_load((DEPLOY / "k8s" / "dagster.yaml").read_text())
    launcher = document["run_launcher"]["config"]
    launcher["image_pul_policy"] = launcher.pop("image_pull_policy")
    misspelt = tmp_path / "dagster.yaml"
    misspelt.write_text(yaml.safe_dump(document))
    kind, config = loaded_classes(misspelt, tmp_path / "home")["run_launcher"]
    assert not process_config(resolve_to_config_type(kind.config_type()), config).success


@pytest.mark.parametrize(
    ("module", "job", "config"),
    [
        ("roster_pipeline.defs.k8s_jobs", "import_upload_k8s", DEPLOY / "k8s" / "import_upload_k8s.yaml"),
        ("roster_pipeline.defs.celery_jobs", "import_upload_celery", DEPLOY / "celery" / "celery.yaml"),
    ],
)
def test_the_distributed_jobs_accept_their_run_config(module: str, job: str, config: Path) -> None:
    defs = importlib.import_module(module).defs
    run_config = {**IMPORT_OPS, **yaml.safe_load(config.read_text())}
    validate_run_config(defs.resolve_job_def(job), run_config)  # raises on any invalid key

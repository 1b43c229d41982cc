"""The import job's steps on the Celery executor (dagster-celery, Redis as the broker on 127.0.0.1),
run by a worker started as a separate process, with step values and run artefacts in S3 (moto on
127.0.0.1): the sample upload is committed exactly as the library imports it, its results are in S3,
and no step wrote anything to a local disk.

Redis must be up (CI's machine has it; it is started here with the machine's own command if it is down):
without it this test fails, it does not skip. Each run uses its own Redis key prefix, so parallel runs
do not take each other's tasks.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import yaml
from dagster import AssetKey, DagsterEventType, DagsterInstance, DagsterRunStatus
from dagster._core.instance.ref import InstanceRef

from roster_pipeline.defs.partitions import tenants
from roster_pipeline.import_run import run_import
from roster_pipeline.roster.database import make_engine
from roster_pipeline.roster.fixtures import load_fixture_file
from roster_pipeline.roster.migrate import upgrade
from roster_pipeline.roster.snapshot import SNAPSHOT_TABLES
from roster_pipeline.samples import demo_tenant_path
from roster_pipeline_tests.conftest import S3_CREDENTIALS, SAMPLE_UPLOAD
from roster_pipeline_tests.importing import roster_table

REPO = Path(__file__).parents[2]
BIN = Path(sys.executable).parent
TENANT = "district-0042"
UPLOAD_ID = "celery-upload"
REDIS_URL = "redis://127.0.0.1:6379/0"
# The machine's documented way to start Redis (see .ci/run), used when it is down.
START_REDIS = [
    "redis-server",
    "--daemonize",
    "yes",
    "--bind",
    "127.0.0.1",
    "-::1",
    "--port",
    "6379",
    "--save",
    "",
    "--appendonly",
    "no",
    "--dir",
    "/var/lib/redis",
    "--logfile",
    "/var/log/redis/ci.log",
]
STEPS = ("raw_upload", "validated_roster", "roster_matches", "staged_plan", "import_commit", "upload_results")


def redis_answers() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping())
    except redis.RedisError:
        return False


@pytest.fixture
def redis_broker() -> str:
    if not redis_answers():
        subprocess.run(START_REDIS, check=False, capture_output=True, timeout=30)
        deadline = time.monotonic() + 15
        while not redis_answers() and time.monotonic() < deadline:
            time.sleep(0.5)
    assert redis_answers(), "Redis is not answering on 127.0.0.1:6379 and could not be started"
    return REDIS_URL


@pytest.fixture
def site(tmp_path: Path, s3_endpoint: str, s3_client, bucket: str, redis_broker: str) -> Iterator[dict]:
    """A roster with the demo tenant, the sample upload in the drop bucket, a Dagster home, the
    environment both processes read, and a Celery config isolated by its own Redis key prefix."""
    (tmp_path / "db").mkdir()
    database_url = f"sqlite:///{tmp_path / 'db' / 'roster.db'}"
    engine = make_engine(database_url)
    upgrade(engine)
    with engine.begin() as connection:
        load_fixture_file(connection, demo_tenant_path())
    for path in sorted(SAMPLE_UPLOAD.glob("*.csv")):
        key = f"drop/{TENANT}/{UPLOAD_ID}/{path.name}"
        s3_client.put_object(Bucket=bucket, Key=key, Body=path.read_bytes())

    home = tmp_path / "dagster_home"
    home.mkdir()
    with DagsterInstance.from_ref(InstanceRef.from_dir(str(home))) as instance:
        instance.add_dynamic_partitions(tenants.name, [TENANT])

    config = yaml.safe_load((REPO / "deploy" / "celery" / "celery.yaml").read_text())
    options = config["execution"]["config"]["config_source"]
    prefix = f"roster-test-{uuid.uuid4().hex[:12]}:"
    options["broker_transport_options"]["global_keyprefix"] = prefix
    options["result_backend_transport_options"] = {"global_keyprefix": prefix}
    celery_yaml = tmp_path / "celery.yaml"
    celery_yaml.write_text(yaml.safe_dump(config))
    run_yaml = tmp_path / "run.yaml"
    run_yaml.write_text(
        yaml.safe_dump(
            {
                "ops": {
                    "raw_upload": {"config": {"upload": f"s3://{bucket}/drop/{TENANT}/{UPLOAD_ID}/"}},
                    "import_commit": {"config": {"dry_run": False}},
                }
            }
        )
    )
    env = {
        **os.environ,
        **S3_CREDENTIALS,
        "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",  # dagster-celery starts `celery`
        "DAGSTER_HOME": str(home),
        "ROSTER_DATABASE_URL": database_url,
        "ROSTER_DATA_DIR": str(tmp_path / "local-data"),  # must stay empty
        "ROSTER_S3_BUCKET": bucket,
        "ROSTER_S3_ENDPOINT_URL": s3_endpoint,
        "ROSTER_IO_LOCATION": f"s3://{bucket}/dagster-io",
        "ROSTER_ARTEFACTS_LOCATION": f"s3://{bucket}/artefacts",
        "ROSTER_CELERY_BROKER_URL": redis_broker,
        "ROSTER_CELERY_BACKEND_URL": redis_broker,
    }
    yield {"engine": engine, "home": home, "env": env, "celery_yaml": celery_yaml, "run_yaml": run_yaml}
    broker = redis.Redis.from_url(redis_broker)
    for key in broker.scan_iter(match=f"{prefix}*"):
        broker.delete(key)


@pytest.fixture
def celery_worker(site: dict, tmp_path: Path) -> Iterator[subprocess.Popen]:
    """`dagster-celery worker start` in its own process group, killed at the end whatever happens."""
    log = tmp_path / "worker.log"
    with log.open("wb") as handle:
        worker = subprocess.Popen(
            [
                str(BIN / "dagster-celery"),
                *("worker", "start", "-A", "dagster_celery.app", "-y", str(site["celery_yaml"])),
                *("-n", f"roster-test-{uuid.uuid4().hex[:8]}", "--", "--concurrency=2"),
            ],
            env=site["env"],
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while b" ready." not in log.read_bytes():
            assert worker.poll() is None, "the worker exited:" + _worker_log(tmp_path)
            assert time.monotonic() < deadline, "the worker did not start:" + _worker_log(tmp_path)
            time.sleep(0.5)
        yield worker
    finally:
        _stop(worker)


def test_celery_workers_import_the_upload_with_everything_in_s3(
    site: dict, celery_worker: subprocess.Popen, s3_client, bucket: str, tmp_path: Path
) -> None:
    command = [
        str(BIN / "dagster"),
        *("job", "execute", "-m", "roster_pipeline.defs.celery_jobs", "-j", "import_upload_celery"),
        *("-c", str(site["celery_yaml"]), "-c", str(site["run_yaml"])),
        *("--tags", json.dumps({"dagster/partition": TENANT})),
    ]
    try:
        done = subprocess.run(command, env=site["env"], capture_output=True, text=True, timeout=180)
    except subprocess.TimeoutExpired as expired:
        pytest.fail(f"the run did not finish: {expired.stdout}\n{expired.stderr}\n{_worker_log(tmp_path)}")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:] + _worker_log(tmp_path)

    with DagsterInstance.from_ref(InstanceRef.from_dir(str(site["home"]))) as instance:
        [run] = instance.get_runs()
        assert run.job_name == "import_upload_celery" and run.status == DagsterRunStatus.SUCCESS
        on_workers = {
            entry.step_key
            for entry in instance.all_logs(run.run_id, of_type=DagsterEventType.ENGINE_EVENT)
            if "in celery worker" in entry.message
        }
        decision = instance.get_latest_materialization_event(AssetKey("upload_results")).asset_materialization
    assert set(STEPS) | {"merge_review_queue"} <= on_workers
    assert decision.metadata["status"].value == "COMMITTED"

    # The roster: what the library's own import of the same files makes, table by table.
    reference = make_engine(f"sqlite:///{tmp_path / 'db' / 'reference.db'}")
    upgrade(reference)
    with reference.begin() as connection:
        load_fixture_file(connection, demo_tenant_path())
    expected = run_import(reference, str(SAMPLE_UPLOAD), TENANT, tmp_path / "reference", commit=True)
    assert expected.status == "COMMITTED"
    counts = {name: len(roster_table(site["engine"], name)) for name in SNAPSHOT_TABLES}
    assert counts == {name: len(roster_table(reference, name)) for name in SNAPSHOT_TABLES}
    assert counts["students"] == 9

    # Results next to the upload: one row per input row, for every file.
    results = f"results/{TENANT}/{UPLOAD_ID}/"
    for path in sorted(SAMPLE_UPLOAD.glob("*.csv")):
        if path.name == "manifest.csv" or path.name == "orgs.csv":
            continue
        body = s3_client.get_object(Bucket=bucket, Key=f"{results}{path.stem}_results.csv")["Body"].read()
        assert _rows(body) == _rows(path.read_bytes()), path.name

    # Step values and artefacts in S3; nothing on a local disk.
    keys = {item["Key"] for item in s3_client.list_objects_v2(Bucket=bucket)["Contents"]}
    for step in STEPS:
        assert f"dagster-io/{step}/{TENANT}/value.json" in keys, step
    assert f"artefacts/runs/{run.run_id}/plan/summary.json" in keys
    assert f"artefacts/runs/{run.run_id}/results/users_results.csv" in keys
    assert not (tmp_path / "local-data").exists()
    stored_locally = [path for path in site["home"].rglob("*") if path.name in STEPS]
    assert stored_locally == []


def _rows(data: bytes) -> int:
    return sum(1 for _ in csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def _worker_log(tmp_path: Path) -> str:
    log = tmp_path / "worker.log"
    return "\n--- worker log\n" + log.read_text(errors="replace")[-4000:] if log.exists() else ""


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=15)
    with contextlib.suppress(ProcessLookupError):  # its pool processes share its group: none may outlive it
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()

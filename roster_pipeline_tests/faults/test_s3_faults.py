"""S3 failing while an upload is listed and downloaded, through a real HTTP proxy in front of moto:
transient faults are retried until they clear; faults that persist fail quickly with a clear
UploadUnreadable naming the S3 location and what failed, and the import is rejected with its results."""

from __future__ import annotations

import dataclasses
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from dagster import DagsterInstance

from roster_pipeline.defs.io_manager import RosterIOManager
from roster_pipeline.defs.jobs import commit_reviewed_dry_run
from roster_pipeline.defs.resources import ArtefactStore, DropBucket
from roster_pipeline.defs.sensors import s3_drop_sensor
from roster_pipeline.folders import open_folder
from roster_pipeline.plan.storage import SUMMARY, write_plan_files
from roster_pipeline.upload.drop_folder import complete_uploads
from roster_pipeline.upload.errors import UploadUnreadable
from roster_pipeline.upload.s3 import S3RequestFailed, S3Retry, list_upload_objects, make_s3_client
from roster_pipeline.upload.sources import read_upload
from roster_pipeline_tests.conftest import SAMPLE_UPLOAD
from roster_pipeline_tests.dagster_site import dagster_site, import_on
from roster_pipeline_tests.faults.conftest import FAST_RETRY, STALL_RETRY, retry_for
from roster_pipeline_tests.faults.s3_proxy import FaultyS3Proxy
from roster_pipeline_tests.importing import roster_state, roster_table

TENANT = "district-0042"
FAULTS = [
    *(
        (operation, kind)
        for operation in ("list", "get")
        for kind in ("500", "503", "slowdown", "stall", "reset")
    ),
    ("get", "stall_body"),
]
# Generous: a failing read costs at most 4 tries x 0.5 s stall read timeout (+ tiny backoffs) per request.
GIVE_UP_WITHIN_S = 30


def drop(s3_client, bucket: str, upload_id: str = "u1", folder: Path = SAMPLE_UPLOAD) -> str:
    for path in sorted(folder.glob("*.csv")):
        s3_client.put_object(
            Bucket=bucket, Key=f"drop/{TENANT}/{upload_id}/{path.name}", Body=path.read_bytes()
        )
    return f"s3://{bucket}/drop/{TENANT}/{upload_id}/"


def through(proxy: FaultyS3Proxy, retry: S3Retry = FAST_RETRY):
    return make_s3_client(proxy.endpoint, "us-east-1", retry)


@pytest.mark.parametrize(("operation", "kind"), FAULTS)
def test_a_transient_fault_is_retried_until_it_clears(
    faulty_s3: FaultyS3Proxy, s3_client, bucket: str, operation: str, kind: str
) -> None:
    location = drop(s3_client, bucket)
    faulty_s3.inject(operation, kind, FAST_RETRY.max_attempts - 1)
    upload = read_upload(location, s3_client=through(faulty_s3, retry_for(kind)))
    assert faulty_s3.injected[operation] == FAST_RETRY.max_attempts - 1
    expected = {path.name: path.read_bytes() for path in SAMPLE_UPLOAD.glob("*.csv")}
    assert upload.files == expected
    assert upload.issues == []


@pytest.mark.parametrize(("operation", "kind"), FAULTS)
def test_a_fault_that_persists_fails_quickly_with_a_clear_error(
    faulty_s3: FaultyS3Proxy, s3_client, bucket: str, operation: str, kind: str
) -> None:
    location = drop(s3_client, bucket)
    faulty_s3.inject(operation, kind, 1000)
    started = time.monotonic()
    with pytest.raises(UploadUnreadable) as raised:
        read_upload(location, s3_client=through(faulty_s3, retry_for(kind)))
    assert time.monotonic() - started < GIVE_UP_WITHIN_S
    reason = raised.value.reason
    assert raised.value.code == "upload_unreadable"
    assert reason.startswith(location)
    if operation == "list":
        assert f"cannot list the upload: listing {location} (page 1) failed" in reason
    else:
        assert f"reading {location}" in reason and ".csv" in reason
    assert f"{FAST_RETRY.max_attempts} attempts" in reason
    # Exactly the policy's tries: no hidden botocore retries multiplying them.
    assert faulty_s3.injected[operation] == FAST_RETRY.max_attempts


def test_the_deadline_stops_retrying_before_the_attempts_run_out(
    faulty_s3: FaultyS3Proxy, s3_client, bucket: str
) -> None:
    location = drop(s3_client, bucket)
    patient = S3Retry(max_attempts=1000, base_delay_s=0.1, max_delay_s=0.2, deadline_s=1.0)
    faulty_s3.inject("list", "slowdown", 100_000)
    started = time.monotonic()
    with pytest.raises(UploadUnreadable, match="SlowDown"):
        read_upload(location, s3_client=through(faulty_s3, patient))
    assert time.monotonic() - started < GIVE_UP_WITHIN_S
    assert 2 <= faulty_s3.injected["list"] < 1000


def test_an_error_that_retrying_cannot_fix_fails_at_once(faulty_s3: FaultyS3Proxy, s3_env: None) -> None:
    with pytest.raises(UploadUnreadable, match="NoSuchBucket") as raised:
        read_upload("s3://no-such-bucket/drop/u1/", s3_client=through(faulty_s3))
    assert "1 attempt " in raised.value.reason
    assert faulty_s3.seen["list"] == 1


def test_a_failed_page_is_retried_from_its_continuation_token(
    faulty_s3: FaultyS3Proxy, s3_client, bucket: str
) -> None:
    keys = [f"drop/{TENANT}/big/part-{n:04d}.csv" for n in range(1001)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda key: s3_client.put_object(Bucket=bucket, Key=key, Body=b"x"), keys))
    faulty_s3.inject("list", "503", 3, skip=1)  # page 1 answers, page 2 fails three times
    listed = list_upload_objects(through(faulty_s3), bucket, f"drop/{TENANT}/big/")
    assert sorted(item["Key"] for item in listed) == keys
    assert faulty_s3.injected["list"] == 3
    assert faulty_s3.seen["list"] == 2 + 3  # page 1 once, page 2 four times: no start over


def test_the_drop_sensor_lists_and_reads_markers_through_transient_faults(
    faulty_s3: FaultyS3Proxy, s3_client, bucket: str
) -> None:
    drop(s3_client, bucket)
    s3_client.put_object(Bucket=bucket, Key=f"drop/{TENANT}/u1/_READY", Body=b"mode=commit\n")
    faulty_s3.inject("list", "slowdown", 3)
    uploads, _ = complete_uploads(through(faulty_s3), bucket, "drop")
    assert [(upload.upload_id, upload.commit) for upload in uploads] == [("u1", True)]
    faulty_s3.inject("get", "stall_body", 3)  # the marker read hangs midway, three times
    uploads, _ = complete_uploads(through(faulty_s3, STALL_RETRY), bucket, "drop")
    assert [(upload.upload_id, upload.commit) for upload in uploads] == [("u1", True)]
    assert faulty_s3.injected["get"] == 3


def test_a_sensor_tick_that_cannot_list_fails_and_the_next_tick_requests_the_run(
    faulty_s3: FaultyS3Proxy, s3_client, bucket: str
) -> None:
    """A failed tick keeps its cursor, so the upload is not skipped: it is requested once S3 answers."""
    from dagster import build_sensor_context

    drop(s3_client, bucket)
    s3_client.put_object(Bucket=bucket, Key=f"drop/{TENANT}/u1/_READY", Body=b"")
    instance = DagsterInstance.ephemeral()
    resources = {"drop_bucket": drop_bucket(faulty_s3, bucket)}
    faulty_s3.inject("list", "503", 1000)
    with pytest.raises(S3RequestFailed, match=f"listing s3://{bucket}/drop/"):
        s3_drop_sensor(build_sensor_context(instance=instance, resources=resources))
    faulty_s3.clear()
    result = s3_drop_sensor(build_sensor_context(instance=instance, resources=resources))
    assert [request.tags["roster/upload"] for request in result.run_requests] == ["u1"]


# --- the whole import job, S3 behind the proxy ---


def s3_settings(retry: S3Retry) -> dict[str, float]:
    """The resources' ``s3_*`` settings for this policy."""
    return {f"s3_{field.name}": getattr(retry, field.name) for field in dataclasses.fields(retry)}


def drop_bucket(proxy: FaultyS3Proxy, bucket: str, retry: S3Retry = FAST_RETRY) -> DropBucket:
    return DropBucket(bucket=bucket, endpoint_url=proxy.endpoint, **s3_settings(retry))


@pytest.fixture
def job_setup(tmp_path: Path, faulty_s3: FaultyS3Proxy, bucket: str):
    engine, instance, resources = dagster_site(tmp_path, drop_bucket(faulty_s3, bucket))
    yield engine, instance, resources
    engine.dispose()


def outcome_of(result) -> dict:
    materialized = result.asset_materializations_for_node("upload_results")[0]
    return {key: value.value for key, value in materialized.metadata.items()}


def test_an_import_whose_download_keeps_failing_is_rejected_with_results_and_nothing_applied(
    job_setup, faulty_s3: FaultyS3Proxy, s3_client, bucket: str
) -> None:
    engine = job_setup[0]
    before = roster_state(engine)
    location = drop(s3_client, bucket)
    faulty_s3.inject("get", "slowdown", 1000)
    result = import_on(job_setup, location, dry_run=False)
    assert result.success  # a rejection, told apart from a crash
    assert outcome_of(result)["status"] == "REJECTED"
    assert roster_state(engine) == before
    errors = s3_client.get_object(Bucket=bucket, Key=f"results/{TENANT}/u1/errors.csv")["Body"].read()
    assert b"upload_unreadable" in errors and b"SlowDown" in errors and location.encode() in errors


def test_an_import_through_transient_faults_on_every_operation_commits(
    job_setup, faulty_s3: FaultyS3Proxy, s3_client, bucket: str
) -> None:
    location = drop(s3_client, bucket)
    faulty_s3.inject("list", "503", 3)
    faulty_s3.inject("get", "reset", 3)
    faulty_s3.inject("put", "500", 3)  # the plan and results written back to S3
    result = import_on(job_setup, location, dry_run=False)
    assert outcome_of(result)["status"] == "COMMITTED"
    assert len(roster_table(job_setup[0], "students")) == 9
    assert faulty_s3.injected == {"list": 3, "get": 3, "put": 3}
    assert s3_client.head_object(Bucket=bucket, Key=f"results/{TENANT}/u1/users_results.csv")


# --- saved artefacts (plans, results, step values) in S3, and clients made elsewhere ---


def test_plan_files_written_to_s3_are_retried_and_land(
    faulty_s3: FaultyS3Proxy, s3_client, bucket: str
) -> None:
    files = {"changes.parquet": b"p" * 50_000, "users.parquet": b"u" * 50_000, SUMMARY: b"{}"}
    folder = open_folder(f"s3://{bucket}/artefacts", s3_client=through(faulty_s3))
    faulty_s3.inject("put", "500", FAST_RETRY.max_attempts - 1)
    write_plan_files(files, folder / "runs" / "r1" / "plan")
    for name, data in files.items():
        stored = s3_client.get_object(Bucket=bucket, Key=f"artefacts/runs/r1/plan/{name}")["Body"].read()
        assert stored == data, name
    assert faulty_s3.injected["put"] == FAST_RETRY.max_attempts - 1
    assert faulty_s3.seen["put"] == len(files) + FAST_RETRY.max_attempts - 1


def test_a_saved_file_whose_body_stalls_midway_is_fetched_again(
    faulty_s3: FaultyS3Proxy, s3_client, bucket: str
) -> None:
    s3_client.put_object(Bucket=bucket, Key="artefacts/runs/r1/plan/summary.json", Body=b"{}" * 10_000)
    folder = open_folder(f"s3://{bucket}/artefacts/runs/r1/plan", s3_client=through(faulty_s3, STALL_RETRY))
    faulty_s3.inject("get", "stall_body", STALL_RETRY.max_attempts - 1)
    assert (folder / "summary.json").read_bytes() == b"{}" * 10_000
    assert faulty_s3.injected["get"] == STALL_RETRY.max_attempts - 1


def test_a_write_that_keeps_failing_stops_after_the_artefact_stores_own_attempts(
    faulty_s3: FaultyS3Proxy, bucket: str
) -> None:
    """The store's ``s3_*`` settings are the only retries: no botocore retries multiplying them."""
    store = ArtefactStore(
        location=f"s3://{bucket}/artefacts", s3_endpoint_url=faulty_s3.endpoint, **s3_settings(FAST_RETRY)
    )
    faulty_s3.inject("put", "503", 1000)
    with pytest.raises(S3RequestFailed, match=f"writing s3://{bucket}/artefacts/runs/r1/results/x.csv"):
        (store.path / "runs" / "r1" / "results" / "x.csv").write_bytes(b"a,b\n")
    assert faulty_s3.seen["put"] == FAST_RETRY.max_attempts


def test_a_client_made_elsewhere_keeps_botocores_attempts_and_ours_do_not_multiply_them(
    faulty_s3: FaultyS3Proxy, s3_env: None, bucket: str
) -> None:
    import boto3
    from botocore.config import Config

    own = Config(retries={"mode": "standard", "total_max_attempts": 2})
    client = boto3.client("s3", endpoint_url=faulty_s3.endpoint, region_name="us-east-1", config=own)
    faulty_s3.inject("list", "503", 1000)
    with pytest.raises(S3RequestFailed, match="1 attempt "):
        list_upload_objects(client, bucket, "drop/")
    assert faulty_s3.seen["list"] == 2  # botocore's two tries, once


@pytest.fixture
def job_in_s3(job_setup, faulty_s3: FaultyS3Proxy, bucket: str):
    """The import's resources with run artefacts and step values in S3, behind the proxy too."""
    engine, instance, resources = job_setup
    tmp = Path(resources["artefacts"].data_dir)
    settings = s3_settings(STALL_RETRY)
    resources = {
        **resources,
        "drop_bucket": drop_bucket(faulty_s3, bucket, STALL_RETRY),
        "artefacts": ArtefactStore(
            data_dir=str(tmp),
            location=f"s3://{bucket}/artefacts",
            s3_endpoint_url=faulty_s3.endpoint,
            **settings,
        ),
        "io_manager": RosterIOManager(
            location=f"s3://{bucket}/dagster-io", s3_endpoint_url=faulty_s3.endpoint, **settings
        ),
    }
    return engine, instance, resources


def test_a_dry_run_and_its_reviewed_commit_with_everything_in_s3_ride_out_transient_faults(
    job_in_s3, faulty_s3: FaultyS3Proxy, s3_client, bucket: str
) -> None:
    """Plans, results and step values are written and read back by the upload's policy: PUTs that
    fail and reads that stall midway are tried again, each exactly as often as the faults need."""
    engine, instance, resources = job_in_s3
    location = drop(s3_client, bucket)
    faulty_s3.inject("put", "500", 3)
    dry = import_on(job_in_s3, location, dry_run=True)
    assert outcome_of(dry)["status"] == "DRY_RUN"
    assert faulty_s3.injected["put"] == 3
    plan = f"artefacts/runs/{dry.run_id}/plan/{SUMMARY}"
    assert s3_client.head_object(Bucket=bucket, Key=plan)

    faulty_s3.inject("get", "stall_body", 3)  # reading the reviewed plan back hangs midway
    commit = commit_reviewed_dry_run.execute_in_process(
        run_config={"ops": {"apply_reviewed_dry_run": {"config": {"run_id": dry.run_id}}}},
        resources=resources,
        instance=instance,
    )
    assert commit.success
    assert faulty_s3.injected["get"] == 3
    assert len(roster_table(engine, "students")) == 9


def test_the_backoff_doubles_with_jitter_up_to_its_cap_and_stops_at_the_deadline() -> None:
    """The schedule itself, on a fake clock: what the proxy tests above exercise over real sockets."""
    from botocore.exceptions import ClientError

    from roster_pipeline.upload.s3 import with_retries

    now = [0.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    def slow_down() -> None:
        now[0] += 0.01
        error = {"Error": {"Code": "SlowDown"}, "ResponseMetadata": {"HTTPStatusCode": 503}}
        raise ClientError(error, "GetObject")

    policy = S3Retry(max_attempts=8, base_delay_s=1.0, max_delay_s=5.0, deadline_s=30.0)
    with pytest.raises(S3RequestFailed, match="8 attempts"):
        with_retries("reading", slow_down, policy, sleep=sleep, clock=lambda: now[0], jitter=lambda: 1.0)
    assert waits == [1.0, 2.0, 4.0, 5.0, 5.0, 5.0, 5.0]
    waits.clear()
    with pytest.raises(S3RequestFailed):  # the least jitter halves each wait, never less
        with_retries("reading", slow_down, policy, sleep=sleep, clock=lambda: now[0], jitter=lambda: 0.0)
    assert waits == [0.5, 1.0, 2.0, 2.5, 2.5, 2.5, 2.5]
    waits.clear()
    now[0] = 0.0
    with pytest.raises(S3RequestFailed, match="4 attempts"):  # 1 + 2 + 4 s waited; 5 more passes 10 s
        deadline = S3Retry(max_attempts=100, base_delay_s=1.0, max_delay_s=5.0, deadline_s=10.0)
        with_retries("reading", slow_down, deadline, sleep=sleep, clock=lambda: now[0], jitter=lambda: 1.0)
    assert waits == [1.0, 2.0, 4.0]

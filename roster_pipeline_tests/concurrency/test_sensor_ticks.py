"""The drop sensor seeing the same upload again and again: one run request (one run key) for it, whether
the ticks come one after another with the cursor carried over, or two evaluations race from the same
cursor (Dagster starts one run per run key, so the same key twice is still one run)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from dagster import DagsterInstance, RunRequest, SensorResult, build_sensor_context

from roster_pipeline.defs.resources import DropBucket
from roster_pipeline.defs.sensors import s3_drop_sensor
from roster_pipeline_tests.conftest import SAMPLE_UPLOAD

TENANT = "district-0042"
TICKS = 10


def tick(bucket: str, endpoint: str, instance: DagsterInstance, cursor: str | None) -> SensorResult:
    """One evaluation, then what the daemon does with its result: new tenants become partitions."""
    context = build_sensor_context(
        instance=instance,
        cursor=cursor,
        resources={"drop_bucket": DropBucket(bucket=bucket, endpoint_url=endpoint)},
    )
    result = s3_drop_sensor(context)
    for request in result.dynamic_partitions_requests:
        instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
    return result


def upload_files() -> list[Path]:
    """The sample upload's files, manifest.csv last (as SIS exports write it)."""
    return sorted(SAMPLE_UPLOAD.glob("*.csv"), key=lambda path: (path.name == "manifest.csv", path.name))


def test_an_upload_seen_on_ten_ticks_while_it_arrives_and_after_requests_one_run(
    s3_client, bucket: str, s3_endpoint: str
) -> None:
    instance = DagsterInstance.ephemeral()
    files = upload_files()
    cursor: str | None = None
    requests: list[RunRequest] = []
    for n in range(TICKS):
        if n < len(files):  # a file lands before each of the first ticks, the manifest last
            path = files[n]
            s3_client.put_object(Bucket=bucket, Key=f"drop/{TENANT}/u1/{path.name}", Body=path.read_bytes())
        result = tick(bucket, s3_endpoint, instance, cursor)
        requests += result.run_requests
        cursor = result.cursor  # carried to the next tick, as the daemon stores it
    assert len(requests) == 1
    assert requests[0].partition_key == TENANT
    assert requests[0].run_key is not None and requests[0].run_key.startswith(f"{TENANT}/u1/")


def test_two_evaluations_racing_on_one_cursor_request_one_run_key(
    s3_client, bucket: str, s3_endpoint: str
) -> None:
    instance = DagsterInstance.ephemeral()
    earlier = tick(bucket, s3_endpoint, instance, None).cursor  # an empty drop folder
    for path in upload_files():
        s3_client.put_object(Bucket=bucket, Key=f"drop/{TENANT}/u1/{path.name}", Body=path.read_bytes())
    start = threading.Barrier(2)

    def evaluate(_: int) -> SensorResult:
        start.wait()
        return tick(bucket, s3_endpoint, instance, earlier)

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(evaluate, range(2)))
    keys = {request.run_key for result in results for request in result.run_requests}
    assert len(keys) == 1
    assert results[0].cursor == results[1].cursor  # whichever the daemon keeps, the next tick agrees
    after = tick(bucket, s3_endpoint, instance, results[1].cursor)
    assert after.run_requests == []

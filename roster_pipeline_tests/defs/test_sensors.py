"""The S3 drop sensor and the failure alert, against a moto S3 server and a local HTTP server."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import ClassVar

from dagster import DagsterInstance, build_run_status_sensor_context, build_sensor_context

from roster_pipeline.defs.jobs import rollback_import_run
from roster_pipeline.defs.partitions import tenants
from roster_pipeline.defs.resources import DropBucket
from roster_pipeline.defs.sensors import AlertWebhook, import_failure_alert, s3_drop_sensor


def tick(bucket: str, endpoint: str, instance: DagsterInstance, cursor: str | None = None):
    context = build_sensor_context(
        instance=instance,
        cursor=cursor,
        resources={"drop_bucket": DropBucket(bucket=bucket, endpoint_url=endpoint)},
    )
    return s3_drop_sensor(context)


def put(s3_client, bucket: str, key: str, body: bytes = b"sourcedId\n1\n") -> None:
    s3_client.put_object(Bucket=bucket, Key=key, Body=body)


def test_only_complete_uploads_start_a_run_and_new_tenants_become_partitions(s3_client, bucket, s3_endpoint):
    put(s3_client, bucket, "drop/district-0042/u1/users.csv")
    put(s3_client, bucket, "drop/district-0042/u1/manifest.csv", b"propertyName,value\n")  # complete
    put(s3_client, bucket, "drop/district-0042/u2/users.csv")  # still uploading
    put(s3_client, bucket, "drop/school-77/u9/users.csv")
    put(s3_client, bucket, "drop/school-77/u9/_READY", b"mode=commit\n")  # complete, asks to commit
    put(s3_client, bucket, "drop/not-a-tenant/u1/users.csv")
    result = tick(bucket, s3_endpoint, DagsterInstance.ephemeral())
    requests = {request.partition_key: request for request in result.run_requests}
    assert set(requests) == {"district-0042", "school-77"}
    ops = requests["district-0042"].run_config["ops"]
    assert ops["raw_upload"]["config"]["upload"] == f"s3://{bucket}/drop/district-0042/u1/"
    assert ops["import_commit"]["config"]["dry_run"] is True
    assert requests["school-77"].run_config["ops"]["import_commit"]["config"]["dry_run"] is False
    assert requests["school-77"].tags["roster/tenant"] == "school-77"
    assert result.dynamic_partitions_requests[0].partition_keys == ["district-0042", "school-77"]


def test_pages_past_1000_keys_with_equal_timestamps(s3_client, bucket, s3_endpoint):
    for n in range(1200):  # written within a few seconds: many share a LastModified second
        put(s3_client, bucket, f"drop/district-0042/big/part-{n:04d}.csv")
    put(s3_client, bucket, "drop/district-0042/big/_READY", b"")
    put(s3_client, bucket, "drop/district-0042/small/manifest.csv", b"propertyName,value\n")
    result = tick(bucket, s3_endpoint, DagsterInstance.ephemeral())
    locations = sorted(r.run_config["ops"]["raw_upload"]["config"]["upload"] for r in result.run_requests)
    assert [location.split("/")[-2] for location in locations] == ["big", "small"]


def test_relisting_requests_nothing_and_a_reupload_starts_a_new_run(s3_client, bucket, s3_endpoint):
    instance = DagsterInstance.ephemeral()
    put(s3_client, bucket, "drop/district-0042/u1/manifest.csv", b"propertyName,value\n")
    first = tick(bucket, s3_endpoint, instance)
    assert len(first.run_requests) == 1
    instance.add_dynamic_partitions(tenants.name, ["district-0042"])
    again = tick(bucket, s3_endpoint, instance, first.cursor)
    assert again.run_requests == [] and again.dynamic_partitions_requests == []

    put(s3_client, bucket, "drop/district-0042/u1/users.csv", b"sourcedId\n2\n")  # the district re-uploads
    changed = tick(bucket, s3_endpoint, instance, again.cursor)
    assert len(changed.run_requests) == 1
    assert changed.run_requests[0].run_key != first.run_requests[0].run_key
    # An upload removed from the bucket is forgotten by the cursor.
    s3_client.put_object(
        Bucket=bucket, Key="drop/district-0042/u2/manifest.csv", Body=b"propertyName,value\n"
    )
    both = tick(bucket, s3_endpoint, instance, changed.cursor)
    for item in s3_client.list_objects_v2(Bucket=bucket, Prefix="drop/district-0042/u2/")["Contents"]:
        s3_client.delete_object(Bucket=bucket, Key=item["Key"])
    assert set(json.loads(tick(bucket, s3_endpoint, instance, both.cursor).cursor)) == {"district-0042/u1"}
    # Even without the cursor, the run key is the same for the same objects: Dagster skips it.
    assert tick(bucket, s3_endpoint, instance).run_requests[0].run_key == changed.run_requests[0].run_key


class _Collector(BaseHTTPRequestHandler):
    received: ClassVar[list[dict]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Collector.received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def test_a_failed_run_posts_an_alert_to_the_webhook():
    server = HTTPServer(("127.0.0.1", 0), _Collector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        instance = DagsterInstance.ephemeral()
        result = rollback_import_run.execute_in_process(
            run_config={"ops": {"rollback_import": {"config": {"run_id": "run-nope"}}}},
            resources={"roster_database": _MissingDatabase()},
            instance=instance,
            raise_on_error=False,
        )
        assert not result.success
        failure = next(event for event in result.all_events if event.event_type_value == "PIPELINE_FAILURE")
        context = build_run_status_sensor_context(
            sensor_name="import_failure_alert",
            dagster_event=failure,
            dagster_instance=instance,
            dagster_run=result.dagster_run,
        ).for_run_failure()
        url = f"http://127.0.0.1:{server.server_address[1]}/alerts"
        import_failure_alert(context, alert_webhook=AlertWebhook(url=url))
    finally:
        server.shutdown()
    assert _Collector.received[-1]["run_id"] == result.run_id
    assert _Collector.received[-1]["job"] == "rollback_import_run"


def _MissingDatabase():
    from roster_pipeline.defs.resources import RosterDatabase

    return RosterDatabase(url="sqlite:////nonexistent/folder/roster.db")

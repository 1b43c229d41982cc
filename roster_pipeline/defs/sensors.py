"""Sensors: the S3 drop folder starts one run per complete upload; failed runs raise an alert."""

import http.client
import json
import urllib.error
import urllib.request

from dagster import (
    ConfigurableResource,
    DefaultSensorStatus,
    RunFailureSensorContext,
    RunRequest,
    SensorEvaluationContext,
    SensorResult,
    run_failure_sensor,
    sensor,
)

from roster_pipeline.defs.import_assets import import_run_config
from roster_pipeline.defs.jobs import import_upload_job
from roster_pipeline.defs.partitions import tenants
from roster_pipeline.defs.resources import DropBucket
from roster_pipeline.redaction import hide_password, webhook_label
from roster_pipeline.upload.drop_folder import DropUpload, complete_uploads

ALERT_TIMEOUT_S = 10


class AlertWebhook(ConfigurableResource):
    """Where run-failure alerts are posted as JSON (nothing is posted without a URL)."""

    url: str | None = None

    def post(self, document: dict) -> None:
        """Errors name the webhook by its host only: its path is its token, and urllib's messages
        (an unknown URL type, an invalid URL) would quote it into the sensor's tick log."""
        if not self.url:
            return
        try:
            request = urllib.request.Request(
                self.url, data=json.dumps(document).encode(), headers={"Content-Type": "application/json"}
            )
            with urllib.request.urlopen(request, timeout=ALERT_TIMEOUT_S):
                pass
        except (ValueError, OSError, http.client.HTTPException) as error:
            raise AlertNotSent(f"alert to {webhook_label(self.url)} not sent: {_why(error)}") from None


class AlertNotSent(RuntimeError):
    pass


def _why(error: Exception) -> str:
    """What went wrong without the URL: an HTTP status, a socket error, or the error's type."""
    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code}"
    if isinstance(error, urllib.error.URLError) and isinstance(error.reason, OSError):
        return f"{type(error.reason).__name__} {error.reason.strerror or ''}".strip()
    return type(error).__name__


def run_request(upload: DropUpload) -> RunRequest:
    return RunRequest(
        run_key=upload.run_key,
        partition_key=upload.tenant,
        run_config=import_run_config(upload.location, not upload.commit),
        tags={"roster/tenant": upload.tenant, "roster/upload": upload.upload_id},
    )


@sensor(job=import_upload_job, minimum_interval_seconds=15, default_status=DefaultSensorStatus.RUNNING)
def s3_drop_sensor(context: SensorEvaluationContext, drop_bucket: DropBucket) -> SensorResult:
    """One run per complete upload under ``<drop_prefix>/<tenant>/<upload-id>/``. The cursor keeps
    the run key last requested per upload, so a quiet folder requests nothing; Dagster's run keys
    make a repeated request harmless anyway."""
    uploads, ignored = complete_uploads(drop_bucket.client(), drop_bucket.bucket, drop_bucket.drop_prefix)
    if ignored:
        context.log.warning(f"ignored {len(ignored)} keys outside <tenant>/<upload-id>/<file>")
    seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    fresh = [
        upload for upload in uploads if seen.get(f"{upload.tenant}/{upload.upload_id}") != upload.run_key
    ]
    known = set(context.instance.get_dynamic_partitions(tenants.name))
    new_tenants = sorted({upload.tenant for upload in fresh} - known)
    # Only uploads still in the bucket are remembered, so the cursor stays as small as the folder.
    seen = {f"{upload.tenant}/{upload.upload_id}": upload.run_key for upload in uploads}
    return SensorResult(
        run_requests=[run_request(upload) for upload in fresh],
        dynamic_partitions_requests=[tenants.build_add_request(new_tenants)] if new_tenants else [],
        cursor=json.dumps(seen, sort_keys=True),
    )


@run_failure_sensor(default_status=DefaultSensorStatus.RUNNING)
def import_failure_alert(context: RunFailureSensorContext, alert_webhook: AlertWebhook) -> None:
    run = context.dagster_run
    document = {
        "alert": "roster run failed",
        "run_id": run.run_id,
        "job": run.job_name,
        "tenant": run.tags.get("roster/tenant") or run.tags.get("dagster/partition"),
        "upload": run.tags.get("roster/upload"),
        "error": hide_password(context.failure_event.message or ""),
    }
    context.log.error(f"ALERT: run {run.run_id} of {run.job_name} failed: {document['error']}")
    alert_webhook.post(document)

"""The code location's Definitions. Every setting comes from the environment, read here only:

ROSTER_S3_BUCKET (required for imports), ROSTER_S3_DROP_PREFIX (default drop), ROSTER_S3_RESULTS_PREFIX
(default results), ROSTER_S3_ENDPOINT_URL (a local S3-compatible server), ROSTER_DATABASE_URL (default
a SQLite file in ROSTER_DATA_DIR), ROSTER_DATA_DIR (default data), ROSTER_ALERT_WEBHOOK_URL.

Where run artefacts and step values go when steps run on several machines (Celery, Kubernetes): set
ROSTER_ARTEFACTS_LOCATION (plans and results; default ROSTER_DATA_DIR) and ROSTER_IO_LOCATION (the
values steps hand each other; default ROSTER_DATA_DIR/dagster-io) to ``s3://bucket/prefix``.
"""

from pathlib import Path

from dagster import Definitions, EnvVar, define_asset_job

from roster_pipeline.defs.import_assets import IMPORT_ASSETS
from roster_pipeline.defs.io_manager import RosterIOManager
from roster_pipeline.defs.jobs import commit_reviewed_dry_run, import_upload_job, rollback_import_run
from roster_pipeline.defs.resources import ArtefactStore, DropBucket, RosterDatabase, UploadStorage
from roster_pipeline.defs.roster_operations import ROSTER_OPERATION_JOBS
from roster_pipeline.defs.sensors import AlertWebhook, import_failure_alert, s3_drop_sensor
from roster_pipeline.defs.upload_check import upload_check
from roster_pipeline.roster.database import default_database_url

check_upload_job = define_asset_job("check_upload", selection=[upload_check])


def _secret(name: str) -> EnvVar | None:
    """A setting that may hold a password or a token, passed as EnvVar when set: Dagster then reads
    it at run time and records only its name, where a plain value would be shown in the UI's resource
    page and stored in every run's job snapshot."""
    return EnvVar(name) if EnvVar(name).get_value() else None


_data_dir = EnvVar("ROSTER_DATA_DIR").get_value("data")
_s3_endpoint_url = EnvVar("ROSTER_S3_ENDPOINT_URL").get_value()

defs = Definitions(
    assets=[upload_check, *IMPORT_ASSETS],
    jobs=[
        check_upload_job,
        import_upload_job,
        commit_reviewed_dry_run,
        rollback_import_run,
        *ROSTER_OPERATION_JOBS,
    ],
    sensors=[s3_drop_sensor, import_failure_alert],
    resources={
        "upload_storage": UploadStorage(s3_endpoint_url=EnvVar("ROSTER_S3_ENDPOINT_URL").get_value()),
        "drop_bucket": DropBucket(
            bucket=EnvVar("ROSTER_S3_BUCKET"),
            drop_prefix=EnvVar("ROSTER_S3_DROP_PREFIX").get_value("drop"),
            results_prefix=EnvVar("ROSTER_S3_RESULTS_PREFIX").get_value("results"),
            endpoint_url=EnvVar("ROSTER_S3_ENDPOINT_URL").get_value(),
        ),
        "roster_database": RosterDatabase(
            url=_secret("ROSTER_DATABASE_URL") or default_database_url(Path(_data_dir))
        ),
        "artefacts": ArtefactStore(
            data_dir=_data_dir,
            location=EnvVar("ROSTER_ARTEFACTS_LOCATION").get_value(),
            s3_endpoint_url=_s3_endpoint_url,
        ),
        "io_manager": RosterIOManager(
            location=EnvVar("ROSTER_IO_LOCATION").get_value(str(Path(_data_dir) / "dagster-io")),
            s3_endpoint_url=_s3_endpoint_url,
        ),
        "alert_webhook": AlertWebhook(url=_secret("ROSTER_ALERT_WEBHOOK_URL")),
    },
)

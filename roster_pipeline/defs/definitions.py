"""The code location's Definitions. Every setting comes from the environment, read here only:

ROSTER_S3_BUCKET (required for imports), ROSTER_S3_DROP_PREFIX (default drop), ROSTER_S3_RESULTS_PREFIX
(default results), ROSTER_S3_ENDPOINT_URL (a local S3-compatible server), ROSTER_DATABASE_URL (default
a SQLite file in ROSTER_DATA_DIR), ROSTER_DATA_DIR (default data), ROSTER_ALERT_WEBHOOK_URL.
"""

from pathlib import Path

from dagster import Definitions, EnvVar, define_asset_job

from roster_pipeline.defs.import_assets import IMPORT_ASSETS
from roster_pipeline.defs.jobs import commit_reviewed_dry_run, import_upload_job, rollback_import_run
from roster_pipeline.defs.resources import ArtefactStore, DropBucket, RosterDatabase, UploadStorage
from roster_pipeline.defs.roster_operations import ROSTER_OPERATION_JOBS
from roster_pipeline.defs.sensors import AlertWebhook, import_failure_alert, s3_drop_sensor
from roster_pipeline.defs.upload_check import upload_check
from roster_pipeline.roster.database import default_database_url

check_upload_job = define_asset_job("check_upload", selection=[upload_check])
_data_dir = EnvVar("ROSTER_DATA_DIR").get_value("data")

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
            url=EnvVar("ROSTER_DATABASE_URL").get_value(default_database_url(Path(_data_dir)))
        ),
        "artefacts": ArtefactStore(data_dir=_data_dir),
        "alert_webhook": AlertWebhook(url=EnvVar("ROSTER_ALERT_WEBHOOK_URL").get_value()),
    },
)

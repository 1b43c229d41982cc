"""The code location's Definitions."""

from dagster import Definitions, define_asset_job

from roster_pipeline.defs.resources import UploadStorage
from roster_pipeline.defs.upload_check import upload_check

check_upload_job = define_asset_job("check_upload", selection=[upload_check])

defs = Definitions(
    assets=[upload_check],
    jobs=[check_upload_job],
    resources={"upload_storage": UploadStorage()},
)

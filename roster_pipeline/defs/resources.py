"""Resources: where uploads are read from. The S3 endpoint URL is optional (local S3-compatible server)."""

from __future__ import annotations

from dagster import ConfigurableResource

from roster_pipeline.upload.limits import UploadLimits
from roster_pipeline.upload.members import UploadFiles
from roster_pipeline.upload.s3 import make_s3_client
from roster_pipeline.upload.sources import read_upload


class UploadStorage(ConfigurableResource):
    """Reads uploads from a folder, a zip or S3; ``s3_endpoint_url`` points boto3 at a local server."""

    s3_endpoint_url: str | None = None

    def read(self, location: str, limits: UploadLimits | None = None) -> UploadFiles:
        client = make_s3_client(self.s3_endpoint_url) if location.startswith("s3://") else None
        return read_upload(location, limits, s3_client=client)

"""Resources: where uploads come from and results go (S3), the roster database, and where run
artefacts (plans, results) are kept. Values come from the environment via EnvVar in definitions.py."""

from pathlib import Path
from typing import Any

from dagster import ConfigurableResource
from sqlalchemy import Engine

from roster_pipeline.roster.database import make_engine
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


class DropBucket(ConfigurableResource):
    """The S3 bucket districts drop uploads into (``<drop_prefix>/<tenant>/<upload-id>/``) and where
    each upload's results CSVs are written (``<results_prefix>/<tenant>/<upload-id>/``)."""

    bucket: str
    drop_prefix: str = "drop"
    results_prefix: str = "results"
    endpoint_url: str | None = None

    def client(self) -> Any:
        return make_s3_client(self.endpoint_url)

    def read(self, location: str, limits: UploadLimits | None = None) -> UploadFiles:
        return read_upload(
            location, limits, s3_client=self.client() if location.startswith("s3://") else None
        )

    def write_results(self, tenant: str, upload_id: str, files: dict[str, bytes]) -> list[str]:
        """Files into ``<results_prefix>/<tenant>/<upload-id>/`` (names may hold a subfolder)."""
        prefix = f"{self.results_prefix.strip('/')}/{tenant}/{upload_id}/"
        client = self.client()
        for name, data in files.items():
            kind = "text/csv" if name.endswith(".csv") else "application/octet-stream"
            client.put_object(Bucket=self.bucket, Key=prefix + name, Body=data, ContentType=kind)
        return [f"s3://{self.bucket}/{prefix}{name}" for name in files]


class RosterDatabase(ConfigurableResource):
    """The roster database (any SQLAlchemy URL)."""

    url: str

    def engine(self) -> Engine:
        return make_engine(self.url)


class ArtefactStore(ConfigurableResource):
    """A folder for each run's saved plan and results (``runs/<run_id>/``)."""

    data_dir: str = "data"

    @property
    def path(self) -> Path:
        return Path(self.data_dir)

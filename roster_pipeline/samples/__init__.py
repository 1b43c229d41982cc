"""Bundled sample uploads, for the demo and the tests."""

from importlib import resources
from pathlib import Path


def sample_upload_path() -> Path:
    return Path(str(resources.files("roster_pipeline.samples").joinpath("demo_district")))


def demo_tenant_path() -> Path:
    """The demo tenant's roster before its first upload (a `db load` fixture)."""
    return Path(str(resources.files("roster_pipeline.samples").joinpath("demo_tenant.yaml")))

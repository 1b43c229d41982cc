"""The import on Celery workers: the same assets as ``import_upload``, each step a Celery task that any
worker (``dagster-celery worker start``, on any machine) may pick up.

A code location of its own (``-m roster_pipeline.defs.celery_jobs``: everything in ``roster_pipeline.defs``
plus this job), so the main one runs without the ``celery`` extra. The executor's settings (broker,
result backend, Celery options) are run config, the ``execution`` block of ``deploy/celery/celery.yaml``,
which ``dagster-celery worker start -y`` reads too. Steps on several machines share nothing but the
database, the Dagster instance and S3: set ROSTER_IO_LOCATION and ROSTER_ARTEFACTS_LOCATION to S3
prefixes (see ``definitions.py``).
"""

from dagster import AssetSelection, Definitions, define_asset_job
from dagster_celery import celery_executor

from roster_pipeline.defs import definitions
from roster_pipeline.defs.import_assets import IMPORT_ASSETS

import_upload_celery = define_asset_job(
    "import_upload_celery",
    selection=AssetSelection.assets(*IMPORT_ASSETS),
    executor_def=celery_executor,
    description="import_upload with each step on a Celery worker (broker and backend in run config).",
)

defs = Definitions.merge(definitions.defs, Definitions(jobs=[import_upload_celery]))

"""The import with each step in a Kubernetes Job of its own (dagster-k8s ``k8s_job_executor``), for
deployments that launch runs with the ``K8sRunLauncher`` (deploy/k8s/dagster.yaml).

A code location of its own (``-m roster_pipeline.defs.k8s_jobs``: everything in ``roster_pipeline.defs``
plus this job), so the main one runs without the ``k8s`` extra. Most deployments need only the launcher
and the plain ``import_upload`` job (one pod per run, its steps in that pod); this job is for steps too
big for one pod's memory. Its executor settings are run config: deploy/k8s/import_upload_k8s.yaml.
"""

from dagster import AssetSelection, Definitions, define_asset_job
from dagster_k8s import k8s_job_executor

from roster_pipeline.defs import definitions
from roster_pipeline.defs.import_assets import IMPORT_ASSETS

import_upload_k8s = define_asset_job(
    "import_upload_k8s",
    selection=AssetSelection.assets(*IMPORT_ASSETS),
    executor_def=k8s_job_executor,
    description="import_upload with each step in a Kubernetes Job (executor settings in run config).",
)

defs = Definitions.merge(definitions.defs, Definitions(jobs=[import_upload_k8s]))

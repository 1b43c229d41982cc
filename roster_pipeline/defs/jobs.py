"""Jobs: the import (dry run by default), committing a reviewed dry run, and rolling back a run.
Each is launchable from the launchpad with typed config."""

from dagster import (
    AssetSelection,
    Config,
    ExecutorDefinition,
    Failure,
    Field,
    OpExecutionContext,
    define_asset_job,
    job,
    multi_or_in_process_executor,
    op,
)

from roster_pipeline.apply.commit import PlanRefused
from roster_pipeline.apply.rollback import rollback_run
from roster_pipeline.defs.import_assets import IMPORT_ASSETS
from roster_pipeline.defs.resources import ArtefactStore, RosterDatabase
from roster_pipeline.import_run import apply_reviewed_run

# Dagster's default executor (run config picks in_process or multiprocess), but in_process unless the
# run config says otherwise: the import's steps form a chain, so a process per step only adds a
# code-location import and a process start to each (seconds apiece; benchmarks/bench_dagster.py).
# Steps on several machines: the Celery or Kubernetes jobs (deploy/).
in_process_by_default = ExecutorDefinition(
    name="in_process_or_multiprocess",
    config_schema=Field(
        multi_or_in_process_executor.config_schema.config_type, default_value={"in_process": {}}
    ),
    executor_creation_fn=multi_or_in_process_executor.executor_creation_fn,
    requirements=multi_or_in_process_executor.get_requirements,
    description="Steps in the run's process by default; `multiprocess: {}` for a process per step.",
)

import_upload_job = define_asset_job(
    "import_upload",
    selection=AssetSelection.assets(*IMPORT_ASSETS),
    description="Import one upload for one tenant: a dry run unless import_commit's dry_run is false.",
    executor_def=in_process_by_default,
)


class ReviewedRunConfig(Config):
    run_id: str  # the import run (its Dagster run id) whose saved plan was reviewed
    allow_large_changes: bool = False


class RollbackConfig(Config):
    run_id: str
    force: bool = False


@op
def apply_reviewed_dry_run(
    context: OpExecutionContext,
    config: ReviewedRunConfig,
    roster_database: RosterDatabase,
    artefacts: ArtefactStore,
) -> str:
    """Commit exactly the plan a dry run saved; refused if the roster changed since."""
    try:
        status, message, _ = apply_reviewed_run(
            roster_database.engine(),
            config.run_id,
            artefacts.path,
            allow_large_changes=config.allow_large_changes,
        )
    except PlanRefused as refused:
        raise Failure(description=f"rejected: {refused.public_reason}") from None
    if status != "COMMITTED":
        raise Failure(description=message)
    context.log.info(f"run {config.run_id}: {message}")
    return message


@op
def rollback_import(
    context: OpExecutionContext, config: RollbackConfig, roster_database: RosterDatabase
) -> str:
    try:
        rollback_id, restored = rollback_run(roster_database.engine(), config.run_id, force=config.force)
    except PlanRefused as refused:
        raise Failure(description=f"rejected: {refused.public_reason}") from None
    context.log.info(f"rolled back {config.run_id} as {rollback_id}: {restored}")
    return rollback_id


@job(description="Commit a reviewed dry run exactly as it was staged (by its run id).")
def commit_reviewed_dry_run() -> None:
    apply_reviewed_dry_run()


@job(description="Roll back a committed import from its change log (by its run id).")
def rollback_import_run() -> None:
    rollback_import()

"""Jobs around an import, per tenant partition: archive existing students, give manual classrooms
their SIS IDs, merge duplicated students. Each is a dry run unless ``dry_run`` is false, and reports
like an import: the run, its outcome and the counts per entity and action."""

from dagster import Config, Failure, OpExecutionContext, job, op
from pydantic import Field

from roster_pipeline.apply.commit import PlanRefused
from roster_pipeline.defs.metadata import table
from roster_pipeline.defs.partitions import tenants
from roster_pipeline.defs.resources import ArtefactStore, DropBucket, RosterDatabase
from roster_pipeline.import_run import (
    merge_candidates_of,
    run_archive_students,
    run_classroom_ids,
    run_student_merges,
    suggest_classroom_ids,
)
from roster_pipeline.plan.staged_plan import StagedPlan
from roster_pipeline.upload.drop_folder import check_upload_location


class ArchiveStudentsConfig(Config):
    school_ids: list[str] = Field(default_factory=list)  # School IDs; empty: every school of the tenant
    dry_run: bool = True


class ClassroomIdsConfig(Config):
    upload: str  # the upload whose classes the manual classrooms are matched to
    min_score: float = 80.0
    archive_unmatched: bool = False
    dry_run: bool = True


class MergeStudentsConfig(Config):
    run_id: str  # the import whose merge candidates were reviewed
    min_score: float = 0.8
    dry_run: bool = True


def _report(context: OpExecutionContext, run_id: str, status: str, message: str, plan: StagedPlan) -> dict:
    context.log.info(f"{context.partition_key}: run {run_id}: {message}")
    context.add_output_metadata(
        {"run_id": run_id, "status": status, "outcome": message, "counts": table(plan.counts())}
    )
    if status == "REJECTED":
        raise Failure(description=message)
    return {"run_id": run_id, "status": status}


@op
def archive_existing_students(
    context: OpExecutionContext,
    config: ArchiveStudentsConfig,
    roster_database: RosterDatabase,
    artefacts: ArtefactStore,
) -> dict:
    run_id, status, message, plan = run_archive_students(
        roster_database.engine(),
        context.partition_key,
        artefacts.path,
        config.school_ids or None,
        commit=not config.dry_run,
    )
    return _report(context, run_id, status, message, plan)


@op
def assign_classroom_ids(
    context: OpExecutionContext,
    config: ClassroomIdsConfig,
    roster_database: RosterDatabase,
    artefacts: ArtefactStore,
    drop_bucket: DropBucket,
) -> dict:
    check_upload_location(config.upload, context.partition_key, drop_bucket.bucket, drop_bucket.drop_prefix)
    engine = roster_database.engine()
    client = drop_bucket.client() if config.upload.startswith("s3://") else None
    try:
        suggestions = suggest_classroom_ids(engine, context.partition_key, config.upload, client)
    except PlanRefused as refused:
        raise Failure(description=f"rejected: {refused.reason}") from None
    context.add_output_metadata({"suggestions": table(suggestions.astype(str))})
    accepted = suggestions[suggestions["score"] >= config.min_score][["classroom_id", "class_sis_id"]]
    run_id, status, message, plan = run_classroom_ids(
        engine,
        context.partition_key,
        artefacts.path,
        accepted,
        archive_unmatched=config.archive_unmatched,
        commit=not config.dry_run,
    )
    return _report(context, run_id, status, message, plan)


@op
def merge_duplicated_students(
    context: OpExecutionContext,
    config: MergeStudentsConfig,
    roster_database: RosterDatabase,
    artefacts: ArtefactStore,
) -> dict:
    engine = roster_database.engine()
    candidates = merge_candidates_of(engine, config.run_id, artefacts.path, context.partition_key)
    pairs = candidates[candidates["score"] >= config.min_score][["student_key", "existing_id"]]
    run_id, status, message, plan = run_student_merges(
        engine, context.partition_key, artefacts.path, pairs, commit=not config.dry_run
    )
    return _report(context, run_id, status, message, plan)


@job(partitions_def=tenants, description="Archive a tenant's existing students before its first upload.")
def archive_students_job() -> None:
    archive_existing_students()


@job(partitions_def=tenants, description="Give manual classrooms the SIS IDs of the upload's classes.")
def classroom_ids_job() -> None:
    assign_classroom_ids()


@job(
    partitions_def=tenants, description="Merge duplicated students found by an import (reviewed candidates)."
)
def merge_students_job() -> None:
    merge_duplicated_students()


ROSTER_OPERATION_JOBS = [archive_students_job, classroom_ids_job, merge_students_job]

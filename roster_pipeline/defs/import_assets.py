"""The import, one asset per step, per tenant partition. Each is a thin wrapper: load its inputs, call
one library function, attach small metadata. A rejected upload flows through every step (as "nothing
to do") so its results always materialize; only a crash fails the run.

Values pass between steps through the IO manager (``io_manager.py``: Parquet + JSON, a folder or S3), so
each step loads only what it uses: the upload's files are read back by validation alone (later steps
take ``raw_upload`` as an ``UploadRef``, its address), and the roster snapshot is read once, by matching
(validation reads only the tables it checks against; the commit's staleness check is the fingerprint
apply compares).
"""

import hashlib
from dataclasses import dataclass
from pathlib import PurePosixPath

import pandas as pd
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetIn,
    Config,
    MaterializeResult,
    MetadataValue,
    Output,
    asset,
)

from roster_pipeline.defs.io_manager import LEAVE_OUT
from roster_pipeline.defs.metadata import sample_changes, table
from roster_pipeline.defs.partitions import tenants
from roster_pipeline.defs.resources import ArtefactStore, DropBucket, RosterDatabase
from roster_pipeline.folders import written_locally
from roster_pipeline.import_run import (
    import_summary,
    iter_import_tables,
    load_snapshot,
    load_tenant,
    load_upload_context,
    not_imported,
    run_folder,
    settle_run,
)
from roster_pipeline.intermediates import field_path
from roster_pipeline.matching.roster_matches import RosterMatches, match_roster
from roster_pipeline.plan.staged_plan import PlanActions, PlanCandidates, plan_from_matches
from roster_pipeline.plan.storage import files_made, plan_files, write_plan_files
from roster_pipeline.reports.summary import upload_summary
from roster_pipeline.reports.writer import RESULTS_SUMMARY, csv_bytes, write_each_table
from roster_pipeline.upload.drop_folder import check_upload_location
from roster_pipeline.upload.errors import UploadUnreadable
from roster_pipeline.upload.members import UploadFiles
from roster_pipeline.upload.sources import unreadable_upload
from roster_pipeline.validation.validate import ValidatedFile, ValidatedUpload, validate_upload

GROUP = "roster_import"


class UploadConfig(Config):
    """Which upload to import: ``s3://bucket/<drop-prefix>/<tenant>/<upload-id>/`` (or a folder)."""

    upload: str


class CommitConfig(Config):
    dry_run: bool = True
    allow_large_changes: bool = False


def import_run_config(location: str, dry_run: bool) -> dict:
    """The run config of one import: which upload, and whether it stops as a dry run."""
    return {
        "ops": {
            "raw_upload": {"config": {"upload": location}},
            "import_commit": {"config": {"dry_run": dry_run}},
        }
    }


@dataclass
class UploadRef:
    """Which upload a run imports, for the steps that need its address but not its files."""

    tenant: str
    upload_id: str
    location: str


@dataclass
class RawUpload(UploadRef):
    files: UploadFiles


@dataclass
class ImportDecision:
    status: str  # DRY_RUN, COMMITTED, REJECTED
    message: str


@asset(
    partitions_def=tenants,
    group_name=GROUP,
    description="The upload's files as dropped: names, sizes, sha256.",
)
def raw_upload(
    context: AssetExecutionContext, config: UploadConfig, drop_bucket: DropBucket
) -> Output[RawUpload]:
    # Refused, not rejected: a run configured with another tenant's upload is a crash to alert on.
    check_upload_location(config.upload, context.partition_key, drop_bucket.bucket, drop_bucket.drop_prefix)
    try:
        files = drop_bucket.read(config.upload)
    except UploadUnreadable as error:
        files = unreadable_upload(config.upload, error)
    listing = pd.DataFrame(
        [
            {
                "file": name,
                "bytes": len(data),
                "lines": data.count(b"\n"),
                "sha256": hashlib.sha256(data).hexdigest(),
            }
            for name, data in files.files.items()
        ],
        columns=["file", "bytes", "lines", "sha256"],
    )
    upload_id = PurePosixPath(config.upload.rstrip("/")).name
    context.log.info(f"read {len(listing)} files of upload {upload_id} for {context.partition_key}")
    return Output(
        RawUpload(context.partition_key, upload_id, config.upload, files),
        metadata={"upload": config.upload, "files": table(listing), "bytes": int(listing["bytes"].sum())},
    )


@asset(
    partitions_def=tenants,
    group_name=GROUP,
    description="Every file validated against its schema, across files and against the roster's School IDs.",
    check_specs=[AssetCheckSpec("no_validation_errors", asset="validated_roster")],
)
def validated_roster(context: AssetExecutionContext, raw_upload: RawUpload, roster_database: RosterDatabase):
    validated = validate_upload(
        raw_upload.files, load_upload_context(roster_database.engine(), context.partition_key)
    )
    summary = upload_summary(validated)
    errors = int(summary["errors"].sum())
    yield Output(
        validated,
        metadata={"files": table(summary), "errors": errors, "warnings": int(summary["warnings"].sum())},
    )
    yield AssetCheckResult(
        check_name="no_validation_errors",
        passed=errors == 0,
        severity=AssetCheckSeverity.ERROR,
        metadata={"errors": errors, "first_errors": table(_first_errors(validated))},
    )


# Each reader of the validated upload reads only its half: matching the normalised frames, the
# results the rows as written.
WITHOUT_ROWS_AS_WRITTEN = AssetIn(metadata={LEAVE_OUT: [field_path(ValidatedFile, "rows")]})
WITHOUT_NORMALISED_FRAMES = AssetIn(metadata={LEAVE_OUT: [field_path(ValidatedFile, "frame")]})


@asset(
    partitions_def=tenants,
    group_name=GROUP,
    description="The upload's rows matched to roster records.",
    ins={"validated_roster": WITHOUT_ROWS_AS_WRITTEN},
)
def roster_matches(
    context: AssetExecutionContext, validated_roster: ValidatedUpload, roster_database: RosterDatabase
) -> Output[RosterMatches | None]:
    if validated_roster.has_errors:
        return Output(None, metadata={"status": "skipped: the upload has errors"})
    matches = match_roster(validated_roster, load_snapshot(roster_database.engine(), context.partition_key))
    return Output(matches, metadata={"matched": table(matches.matched_counts())})


@asset(
    partitions_def=tenants,
    group_name=GROUP,
    description="Every change the upload would make, saved as Parquet for review.",
    check_specs=[AssetCheckSpec("within_change_thresholds", asset="staged_plan")],
)
def staged_plan(
    context: AssetExecutionContext,
    raw_upload: UploadRef,
    roster_matches: RosterMatches | None,
    artefacts: ArtefactStore,
    drop_bucket: DropBucket,
):
    if roster_matches is None:
        yield Output(None, metadata={"status": "skipped: the upload has errors"})
        yield AssetCheckResult(
            check_name="within_change_thresholds", passed=True, metadata={"status": "no plan"}
        )
        return
    plan = plan_from_matches(roster_matches)
    files = plan_files(plan)
    location = write_plan_files(files, run_folder(artefacts.path, context.run.run_id) / "plan")
    # Next to the upload's results, for analysts who work from the bucket.
    in_s3 = drop_bucket.write_results(
        raw_upload.tenant, raw_upload.upload_id, {f"plan/{name}": data for name, data in files.items()}
    )
    with files_made(plan, files):  # the IO manager stores the plan as it is yielded
        yield Output(
            plan,
            metadata={
                "counts": table(plan.counts()),
                "sample_changes": sample_changes(plan),
                "plan_location": MetadataValue.path(str(location)),
                "plan_in_s3": MetadataValue.url(in_s3[0].rsplit("/", 1)[0] + "/"),
                "rekeys": len(plan.rekeys),
                "merge_candidates": len(plan.merge_candidates),
            },
        )
    yield AssetCheckResult(
        check_name="within_change_thresholds",
        passed=plan.exceeded.empty,
        severity=AssetCheckSeverity.WARN,
        metadata={"thresholds": table(plan.thresholds.drop(columns=["limit_count"]))},
    )


@asset(
    partitions_def=tenants,
    group_name=GROUP,
    description="The plan committed, or stopped as a dry run (the default), or rejected with the reason.",
)
def import_commit(
    context: AssetExecutionContext,
    config: CommitConfig,
    raw_upload: UploadRef,
    staged_plan: PlanActions | None,  # a StoredPlan: read whole only to be committed
    roster_database: RosterDatabase,
    artefacts: ArtefactStore,
) -> Output[ImportDecision]:
    engine = roster_database.engine()
    # No snapshot here: apply_plan refuses a plan whose fingerprint is not the roster's now.
    status, message = settle_run(
        engine,
        load_tenant(engine, context.partition_key),
        context.run.run_id,
        raw_upload.location,
        staged_plan,
        run_folder(artefacts.path, context.run.run_id),
        commit=not config.dry_run,
        allow_large_changes=config.allow_large_changes,
    )
    context.log.info(f"import {context.run.run_id} for {context.partition_key}: {message}")
    return Output(ImportDecision(status, message), metadata={"status": status, "outcome": message})


@asset(
    partitions_def=tenants,
    group_name=GROUP,
    description="Per-file results (every row: result, action, message), written next to the upload in S3.",
    ins={"validated_roster": WITHOUT_NORMALISED_FRAMES},
)
def upload_results(
    context: AssetExecutionContext,
    raw_upload: UploadRef,
    validated_roster: ValidatedUpload,
    staged_plan: PlanActions | None,  # each row's action: 3 of each entity's 10 to 31 columns
    import_commit: ImportDecision,
    drop_bucket: DropBucket,
    artefacts: ArtefactStore,
) -> Output[dict]:
    # A plan that was rejected (thresholds, a refused commit) is reported as not imported.
    stopped = not_imported(staged_plan, import_commit.status, import_commit.message)
    tables = iter_import_tables(validated_roster, staged_plan, stopped)
    # Written by Arrow straight to files, each streamed to S3 while the next is written (the summary
    # last): never held whole as bytes.
    results_folder = run_folder(artefacts.path, context.run.run_id) / "results"
    with written_locally(results_folder, last=RESULTS_SUMMARY) as folder:
        written = ((path.name, path) for path in write_each_table(folder, tables))
        links = drop_bucket.write_results(
            raw_upload.tenant, raw_upload.upload_id, written, last=RESULTS_SUMMARY
        )
    summary = import_summary(validated_roster, stopped)
    return Output(
        {"status": import_commit.status, "results": links},
        metadata={
            "status": import_commit.status,
            "outcome": import_commit.message,
            "files": table(summary),
            "results": MetadataValue.md("\n".join(f"- {link}" for link in links)),
        },
    )


@asset(
    partitions_def=tenants,
    group_name=GROUP,
    description="The merge review queue: new students who look like existing ones made by hand.",
)
def merge_review_queue(
    context: AssetExecutionContext,
    raw_upload: UploadRef,
    staged_plan: PlanCandidates | None,
    drop_bucket: DropBucket,
) -> MaterializeResult:
    if staged_plan is None:
        return MaterializeResult(metadata={"candidates": 0, "status": "skipped: the upload has errors"})
    queue = staged_plan.merge_candidates
    shown = [
        "student_key",
        "existing_id",
        "score",
        "reasons",
        "school_pk",
        "existing_school_pk",
        "grades",
        "existing_grades",
        "guardians",
        "existing_guardians",
        "classes",
        "existing_classes",
    ]
    links = drop_bucket.write_results(
        raw_upload.tenant, raw_upload.upload_id, {"merge_candidates.csv": csv_bytes(queue)}
    )
    return MaterializeResult(
        metadata={
            "candidates": len(queue),
            "queue": table(queue[shown].astype(str).head(50)),
            "csv": MetadataValue.url(links[0]),
            "how_to_merge": "review the CSV, then run merge_students_job with this run's id",
        }
    )


def _first_errors(validated: ValidatedUpload, count: int = 10) -> pd.DataFrame:
    errors = validated.issues[validated.issues["severity"] == "ERROR"].head(count)
    return errors[["file", "line", "column", "code", "message"]].astype("string").fillna("")


IMPORT_ASSETS = [
    raw_upload,
    validated_roster,
    roster_matches,
    staged_plan,
    merge_review_queue,
    import_commit,
    upload_results,
]

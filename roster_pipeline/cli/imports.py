"""`roster-pipeline import | apply | rollback | runs`: the import workflow without Dagster.

Exit codes: 0 done, 1 rejected (validation errors, a threshold, a stale plan), 2 cannot run.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from roster_pipeline.apply.commit import PlanRefused
from roster_pipeline.apply.rollback import rollback_run
from roster_pipeline.apply.runs import REJECTED, UnknownRun, list_runs
from roster_pipeline.cli.check import EXIT_OK, EXIT_REJECTED, EXIT_UNREADABLE
from roster_pipeline.cli.options import NoRosterSchema, add_runtime_options, data_dir_for, engine_for
from roster_pipeline.cli.table import render_issues, render_table
from roster_pipeline.import_run import CommitFailed, ImportOutcome, apply_reviewed_run, run_import
from roster_pipeline.plan.staged_plan import StagedPlan
from roster_pipeline.plan.thresholds import load_threshold_settings
from roster_pipeline.redaction import hide_password
from roster_pipeline.roster.tenants import UnknownTenant
from roster_pipeline.upload.errors import UploadUnreadable
from roster_pipeline.upload.s3 import make_s3_client
from roster_pipeline.validation.settings import load_reader_settings

SHOWN_ISSUES = 20
CANNOT_RUN = (
    UploadUnreadable,
    CommitFailed,
    UnknownTenant,
    UnknownRun,
    NoRosterSchema,
    SQLAlchemyError,
    OSError,
    ValueError,
)


def add_import_parsers(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("import", help="stage an upload's changes (dry run) or commit them")
    parser.add_argument("path", help="a folder, a .zip, or s3://bucket/prefix")
    parser.add_argument("--tenant", required=True, help="district-<id> or school-<id>")
    parser.add_argument("--commit", action="store_true", help="apply the plan (default: dry run)")
    parser.add_argument("--allow-large-changes", action="store_true", help="go past the thresholds")
    parser.add_argument("--json", action="store_true", help="print the outcome as JSON")
    parser.add_argument("--config", type=Path, help="TOML settings: limits, header aliases, thresholds")
    parser.add_argument("--endpoint-url", help="S3 endpoint URL (a local S3-compatible server)")
    add_runtime_options(parser)
    parser.set_defaults(run=run_import_command)

    apply = commands.add_parser("apply", help="commit a reviewed dry run exactly as it was staged")
    apply.add_argument("run_id")
    apply.add_argument("--allow-large-changes", action="store_true")
    add_runtime_options(apply)
    apply.set_defaults(run=run_apply_command)

    rollback = commands.add_parser("rollback", help="undo a committed run from its change log")
    rollback.add_argument("run_id")
    rollback.add_argument("--force", action="store_true", help="even if later runs changed the same rows")
    add_runtime_options(rollback)
    rollback.set_defaults(run=run_rollback_command)

    runs = commands.add_parser("runs", help="list runs with their status and counts")
    runs.add_argument("--tenant")
    add_runtime_options(runs)
    runs.set_defaults(run=run_runs_command)


def run_import_command(args: argparse.Namespace) -> int:
    try:
        outcome = run_import(
            engine_for(args),
            args.path,
            args.tenant,
            data_dir_for(args),
            commit=args.commit,
            allow_large_changes=args.allow_large_changes,
            reader=load_reader_settings(args.config),
            thresholds=load_threshold_settings(args.config),
            s3_client=make_s3_client(args.endpoint_url) if args.path.startswith("s3://") else None,
        )
    except CANNOT_RUN as error:
        return cannot_run(error)
    print(
        json.dumps(outcome_document(outcome), indent=2, default=str)
        if args.json
        else describe_outcome(outcome)
    )
    if outcome.unreadable is not None:  # recorded as a rejected run, with results; still a cannot-run
        return cannot_run(outcome.unreadable)
    return EXIT_REJECTED if outcome.rejected else EXIT_OK


def run_apply_command(args: argparse.Namespace) -> int:
    try:
        status, message, plan = apply_reviewed_run(
            engine_for(args), args.run_id, data_dir_for(args), allow_large_changes=args.allow_large_changes
        )
    except PlanRefused as refused:
        return rejected(refused.reason)
    except CANNOT_RUN as error:
        return cannot_run(error)
    print(f"Run {args.run_id}: {message}\n\n{render_table(plan.counts())}")
    return EXIT_REJECTED if status == REJECTED else EXIT_OK


def run_rollback_command(args: argparse.Namespace) -> int:
    try:
        rollback_id, restored = rollback_run(engine_for(args), args.run_id, force=args.force)
    except PlanRefused as refused:
        return rejected(refused.reason)
    except CANNOT_RUN as error:
        return cannot_run(error)
    print(
        f"Rolled back {args.run_id} as run {rollback_id}: "
        + ", ".join(f"{n} {e}" for e, n in restored.items())
    )
    return EXIT_OK


def run_runs_command(args: argparse.Namespace) -> int:
    try:
        with engine_for(args).connect() as connection:
            runs = list_runs(connection, args.tenant)
    except CANNOT_RUN as error:
        return cannot_run(error)
    if runs.empty:
        print("no runs yet")
        return EXIT_OK
    shown = runs[["id", "tenant", "kind", "status", "created_at", "message"]].astype(str)
    print(render_table(shown, max_width=60))
    return EXIT_OK


def describe_outcome(outcome: ImportOutcome) -> str:
    parts = [f"Run {outcome.run_id} for {outcome.tenant}: {outcome.message}", ""]
    if outcome.plan is not None:
        parts += ["Changes by entity:", render_table(outcome.plan.counts()), ""]
        stopped = outcome.not_imported is not None and outcome.not_imported.by_thresholds
        parts += _warnings(outcome.plan, stopped_by_thresholds=stopped)
    parts += ["Files:", render_table(outcome.summary()), ""]
    issues = outcome.validated.issues
    if len(issues):
        parts += [f"Issues ({len(issues)}):", render_issues(issues, SHOWN_ISSUES), ""]
    parts.append(f"Plan and results: {outcome.run_folder}")
    if outcome.status == "DRY_RUN":
        parts.append(
            f"Review them, then commit exactly this plan with: roster-pipeline apply {outcome.run_id}"
        )
    return "\n".join(parts)


def _warnings(plan: StagedPlan, stopped_by_thresholds: bool) -> list[str]:
    """What the plan's reviewer should look at; a threshold the plan goes past is what stopped the
    run, or a warning when the run was allowed past it (``--allow-large-changes``)."""
    if stopped_by_thresholds:
        lines = [f"STOPPED {reason}" for reason in plan.exceeded["reason"]]
    else:
        lines = [f"WARNING {reason} (allowed by --allow-large-changes)" for reason in plan.exceeded["reason"]]
    lines += [f"WARNING possible re-key: {message}" for message in plan.rekeys["message"]]
    if len(plan.merge_candidates):
        lines.append(
            f"NOTE {len(plan.merge_candidates)} new students look like existing ones (merge candidates)"
        )
    return [*lines, ""] if lines else []


def outcome_document(outcome: ImportOutcome) -> dict:
    plan = outcome.plan
    return {
        "run_id": outcome.run_id,
        "tenant": outcome.tenant,
        "status": outcome.status,
        "message": outcome.message,
        "counts": plan.counts().to_dict(orient="records") if plan is not None else [],
        "thresholds_exceeded": plan.exceeded["reason"].tolist() if plan is not None else [],
        "rekeys": plan.rekeys["message"].tolist() if plan is not None else [],
        "merge_candidates": len(plan.merge_candidates) if plan is not None else 0,
        "files": outcome.summary().to_dict(orient="records"),
        "run_folder": str(outcome.run_folder),
    }


def rejected(reason: object) -> int:
    print(f"rejected: {reason}", file=sys.stderr)
    return EXIT_REJECTED


def cannot_run(error: Exception) -> int:
    reason = error.reason if isinstance(error, UploadUnreadable) else str(error).splitlines()[0]
    print(f"cannot run: {hide_password(reason)}", file=sys.stderr)
    return EXIT_UNREADABLE

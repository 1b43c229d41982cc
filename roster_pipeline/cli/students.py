"""`roster-pipeline students archive`: archive a tenant's existing students before its first upload,
previewed as a dry run (then `apply RUN_ID`) or committed with --commit; `rollback RUN_ID` undoes it."""

from __future__ import annotations

import argparse

from roster_pipeline.apply.runs import REJECTED
from roster_pipeline.cli.check import EXIT_OK, EXIT_REJECTED
from roster_pipeline.cli.imports import CANNOT_RUN, cannot_run
from roster_pipeline.cli.options import add_runtime_options, data_dir_for, engine_for
from roster_pipeline.cli.table import render_table
from roster_pipeline.import_run import run_archive_students


def add_students_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("students", help="operations on a tenant's existing students")
    actions = parser.add_subparsers(dest="students_command", required=True)
    archive = actions.add_parser("archive", help="archive existing students (dry run unless --commit)")
    archive.add_argument("--tenant", required=True)
    archive.add_argument("--school-id", action="append", help="only this School ID (repeatable)")
    archive.add_argument("--commit", action="store_true")
    add_runtime_options(archive)
    archive.set_defaults(run=run_archive_command)


def run_archive_command(args: argparse.Namespace) -> int:
    try:
        run_id, status, message, plan = run_archive_students(
            engine_for(args), args.tenant, data_dir_for(args), args.school_id, commit=args.commit
        )
    except CANNOT_RUN as error:
        return cannot_run(error)
    archived = plan.entities["students"]
    print(f"Run {run_id} for {args.tenant}: {message}: {len(archived)} students to archive\n")
    if len(archived):
        print(render_table(archived[["key", "id", "given_name", "family_name", "grades"]].head(20)))
    if status == "DRY_RUN":
        print(f"\nReview, then apply with: roster-pipeline apply {run_id} (undo: roster-pipeline rollback)")
    return EXIT_REJECTED if status == REJECTED else EXIT_OK

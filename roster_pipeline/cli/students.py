"""`roster-pipeline students archive`: archive a tenant's existing students before its first upload,
previewed as a dry run (then `apply RUN_ID`) or committed with --commit; `rollback RUN_ID` undoes it."""

from __future__ import annotations

import argparse
from pathlib import Path

from roster_pipeline.apply.commit import PlanRefused
from roster_pipeline.apply.runs import REJECTED
from roster_pipeline.cli.check import EXIT_OK, EXIT_REJECTED
from roster_pipeline.cli.imports import CANNOT_RUN, cannot_run, rejected
from roster_pipeline.cli.options import add_runtime_options, data_dir_for, engine_for
from roster_pipeline.cli.reviewed_csv import ROSTER_ID, SCORE, SIS_ID, ReviewedFileError, read_reviewed
from roster_pipeline.cli.table import render_table
from roster_pipeline.import_run import merge_candidates_of, run_archive_students, run_student_merges
from roster_pipeline.plan.student_merges import MergeRefused
from roster_pipeline.reports.writer import csv_bytes


def add_students_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("students", help="operations on a tenant's existing students")
    actions = parser.add_subparsers(dest="students_command", required=True)
    archive = actions.add_parser("archive", help="archive existing students (dry run unless --commit)")
    archive.add_argument("--tenant", required=True)
    archive.add_argument("--school-id", action="append", help="only this School ID (repeatable)")
    archive.add_argument("--commit", action="store_true")
    add_runtime_options(archive)
    archive.set_defaults(run=run_archive_command)
    candidates = actions.add_parser("candidates", help="the merge candidates a run found (review queue)")
    candidates.add_argument("run_id")
    candidates.add_argument("--out", type=Path, help="write them as CSV, to review")
    add_runtime_options(candidates)
    candidates.set_defaults(run=run_candidates_command)
    merge = actions.add_parser("merge", help="merge reviewed candidates (dry run unless --commit)")
    merge.add_argument("pairs", type=Path, help="reviewed candidates CSV (student_key, existing_id, score)")
    merge.add_argument("--tenant", required=True)
    merge.add_argument("--min-score", type=float, default=0.0)
    merge.add_argument("--commit", action="store_true")
    add_runtime_options(merge)
    merge.set_defaults(run=run_merge_command)


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


def run_candidates_command(args: argparse.Namespace) -> int:
    try:
        candidates = merge_candidates_of(engine_for(args), args.run_id)
    except (PlanRefused, *CANNOT_RUN) as error:
        return cannot_run(error)
    shown = ["student_key", "existing_id", "score", "reasons", "given_name", "family_name", "grades"]
    print(render_table(candidates[shown].astype(str)) if len(candidates) else "no merge candidates")
    if args.out:
        args.out.write_bytes(csv_bytes(candidates))
        print(f"\nWritten to {args.out}: delete the rows that are not the same child, then `students merge`")
    return EXIT_OK


def run_merge_command(args: argparse.Namespace) -> int:
    try:
        columns = {"student_key": SIS_ID, "existing_id": ROSTER_ID, "score": SCORE}
        pairs = read_reviewed(args.pairs, columns, args.min_score)[["student_key", "existing_id"]]
        run_id, status, message, plan = run_student_merges(
            engine_for(args), args.tenant, data_dir_for(args), pairs, commit=args.commit
        )
    except (MergeRefused, ReviewedFileError) as refused:
        return rejected(refused)
    except CANNOT_RUN as error:
        return cannot_run(error)
    print(f"Run {run_id} for {args.tenant}: {message}\n\n{render_table(plan.counts())}")
    return EXIT_REJECTED if status == REJECTED else EXIT_OK

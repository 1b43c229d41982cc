"""`roster-pipeline classrooms suggest | accept`: give classrooms made by hand the SIS ID of the class
they are, before the first upload duplicates them. `suggest` writes a CSV to review; `accept` takes the
reviewed CSV (rows left in it, or those above --min-score), previewed unless --commit."""

from __future__ import annotations

import argparse
from pathlib import Path

from roster_pipeline.apply.commit import PlanRefused
from roster_pipeline.cli.check import EXIT_OK
from roster_pipeline.cli.imports import CANNOT_RUN, cannot_run, rejected
from roster_pipeline.cli.options import add_runtime_options, data_dir_for, engine_for
from roster_pipeline.cli.reviewed_csv import ROSTER_ID, SCORE, SIS_ID, ReviewedFileError, read_reviewed
from roster_pipeline.cli.table import render_table
from roster_pipeline.import_run import run_classroom_ids, suggest_classroom_ids
from roster_pipeline.plan.classroom_ids import ClassroomIdsRefused
from roster_pipeline.reports.writer import csv_bytes
from roster_pipeline.upload.s3 import make_s3_client


def add_classrooms_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("classrooms", help="match classrooms made by hand to the upload's classes")
    actions = parser.add_subparsers(dest="classrooms_command", required=True)
    suggest = actions.add_parser("suggest", help="suggest the class each manual classroom is")
    suggest.add_argument("path", help="the upload: a folder, a .zip, or s3://bucket/prefix")
    suggest.add_argument("--tenant", required=True)
    suggest.add_argument("--out", type=Path, help="write the suggestions CSV here")
    suggest.add_argument("--endpoint-url")
    add_runtime_options(suggest)
    suggest.set_defaults(run=run_suggest)
    accept = actions.add_parser("accept", help="assign the SIS IDs of reviewed suggestions")
    accept.add_argument("suggestions", type=Path, help="the (reviewed) suggestions CSV")
    accept.add_argument("--tenant", required=True)
    accept.add_argument("--min-score", type=float, default=0.0, help="only suggestions scoring at least this")
    accept.add_argument(
        "--archive-unmatched", action="store_true", help="archive manual classrooms left over"
    )
    accept.add_argument("--commit", action="store_true")
    add_runtime_options(accept)
    accept.set_defaults(run=run_accept)


def run_suggest(args: argparse.Namespace) -> int:
    client = make_s3_client(args.endpoint_url) if args.path.startswith("s3://") else None
    try:
        suggestions = suggest_classroom_ids(engine_for(args), args.tenant, args.path, client)
    except PlanRefused as refused:
        return rejected(refused.reason)
    except CANNOT_RUN as error:
        return cannot_run(error)
    print(
        render_table(suggestions.astype(str)) if len(suggestions) else "no classrooms made by hand to match"
    )
    if args.out:
        args.out.write_bytes(csv_bytes(suggestions))
        print(
            f"\nSuggestions written to {args.out}: delete the rows that are wrong, then `classrooms accept`"
        )
    return EXIT_OK


def run_accept(args: argparse.Namespace) -> int:
    try:
        columns = {"classroom_id": ROSTER_ID, "class_sis_id": SIS_ID, "score": SCORE}
        accepted = read_reviewed(args.suggestions, columns, args.min_score)
        run_id, _, message, plan = run_classroom_ids(
            engine_for(args),
            args.tenant,
            data_dir_for(args),
            accepted[["classroom_id", "class_sis_id"]],
            archive_unmatched=args.archive_unmatched,
            commit=args.commit,
        )
    except (ClassroomIdsRefused, ReviewedFileError) as refused:
        return rejected(refused)
    except CANNOT_RUN as error:
        return cannot_run(error)
    changes = plan.entities["classrooms"]
    print(f"Run {run_id} for {args.tenant}: {message}\n")
    print(render_table(changes[["action", "id", "title", "sis_id"]].astype(str)))
    return EXIT_OK

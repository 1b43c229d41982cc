"""`roster-pipeline check`: the self-check. Every problem pinned to file, line, column and value."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from roster_pipeline.cli.table import render_issues, render_table
from roster_pipeline.issues import ERROR
from roster_pipeline.reports.summary import overall_status, upload_summary
from roster_pipeline.reports.writer import summary_json, write_results
from roster_pipeline.settings_file import SettingsError
from roster_pipeline.upload.errors import UploadUnreadable
from roster_pipeline.upload.s3 import make_s3_client
from roster_pipeline.upload.sources import read_upload
from roster_pipeline.validation.scope import SCOPES, UploadContext
from roster_pipeline.validation.settings import load_reader_settings
from roster_pipeline.validation.validate import ValidatedUpload, validate_upload

EXIT_OK, EXIT_REJECTED, EXIT_UNREADABLE = 0, 1, 2
SHOWN_ISSUES = 50


def add_check_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("check", help="validate an upload without touching the roster")
    parser.add_argument("path", help="a folder, a .zip, or s3://bucket/prefix")
    parser.add_argument("--scope", choices=SCOPES, default="district")
    parser.add_argument("--school-ids", default="", help="comma-separated School IDs of the district")
    parser.add_argument("--out", type=Path, help="write the results CSVs into this folder")
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--config", type=Path, help="TOML settings: limits and header aliases")
    parser.add_argument("--endpoint-url", help="S3 endpoint URL (a local S3-compatible server)")
    parser.set_defaults(run=run_check)


def run_check(args: argparse.Namespace) -> int:
    try:
        validated = check_upload(
            args.path,
            scope=args.scope,
            school_ids=[item.strip() for item in args.school_ids.split(",") if item.strip()],
            config=args.config,
            endpoint_url=args.endpoint_url,
        )
    except UploadUnreadable as error:
        print(f"cannot read the upload: {error.reason}", file=sys.stderr)
        return EXIT_UNREADABLE
    if args.out:
        write_results(validated, args.out)
    if args.json:
        print(summary_json(validated))
    else:
        print(describe_upload(validated))
        if args.out:
            print(f"\nResults written to {args.out}")
    return EXIT_REJECTED if validated.has_errors else EXIT_OK


def check_upload(
    path: str,
    scope: str = "district",
    school_ids: list[str] | None = None,
    config: Path | None = None,
    endpoint_url: str | None = None,
) -> ValidatedUpload:
    try:
        settings = load_reader_settings(config)
    except SettingsError as error:
        raise UploadUnreadable("upload_unreadable", str(error)) from None
    try:
        client = make_s3_client(endpoint_url) if path.startswith("s3://") else None
    except ValueError as error:  # botocore: "Invalid endpoint: ..."
        raise UploadUnreadable("upload_unreadable", f"{path}: {error}") from None
    files = read_upload(path, settings.limits, s3_client=client)
    context = UploadContext(scope=scope, school_ids=frozenset(school_ids or ()))
    return validate_upload(files, context, settings)


def describe_upload(validated: ValidatedUpload) -> str:
    summary = upload_summary(validated)
    parts = [f"Upload: {validated.location}", "", render_table(summary), ""]
    issues = validated.issues
    if len(issues):
        parts += [f"Issues ({len(issues)}):", render_issues(issues, SHOWN_ISSUES)]
        if len(issues) > SHOWN_ISSUES:
            parts.append(f"... and {len(issues) - SHOWN_ISSUES} more (use --out for every issue)")
        parts.append("")
    status = overall_status(summary)
    verdict = "ERROR: fix the rows above and upload again" if status == ERROR else "SUCCESS"
    parts.append(f"Result: {verdict}")
    return "\n".join(parts)

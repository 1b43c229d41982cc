"""`roster-pipeline schools list | set-id | clear-id`: a tenant's schools and their School IDs.
Changes are previewed unless --commit; a committed change is a run that `rollback RUN_ID` undoes."""

from __future__ import annotations

import argparse

from roster_pipeline.apply.school_ids import SchoolIdRefused, plan_school_id, set_school_id
from roster_pipeline.cli.check import EXIT_OK
from roster_pipeline.cli.imports import CANNOT_RUN, cannot_run, rejected
from roster_pipeline.cli.options import add_runtime_options, engine_for
from roster_pipeline.cli.table import render_table
from roster_pipeline.roster.snapshot import SNAPSHOT_TABLES, read_table
from roster_pipeline.roster.tenants import find_tenant


def add_schools_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("schools", help="a tenant's schools and their School IDs")
    actions = parser.add_subparsers(dest="schools_command", required=True)
    listing = actions.add_parser("list", help="the schools with their School IDs")
    listing.add_argument("--tenant", required=True)
    add_runtime_options(listing)
    listing.set_defaults(run=run_list)
    for name, helptext in (("set-id", "set or change a School ID"), ("clear-id", "remove a School ID")):
        action = actions.add_parser(name, help=f"{helptext} (preview unless --commit)")
        action.add_argument("--tenant", required=True)
        action.add_argument("school", help="the school's current School ID or its name")
        if name == "set-id":
            action.add_argument("school_id", help="the new School ID")
        action.add_argument("--commit", action="store_true")
        add_runtime_options(action)
        action.set_defaults(run=run_change)


def run_list(args: argparse.Namespace) -> int:
    try:
        with engine_for(args).connect() as connection:
            schools = read_table(
                connection, SNAPSHOT_TABLES["schools"], find_tenant(connection, args.tenant).id
            )
    except CANNOT_RUN as error:
        return cannot_run(error)
    print(render_table(schools[["id", "name", "school_id"]].astype(str)))
    return EXIT_OK


def run_change(args: argparse.Namespace) -> int:
    new_id = getattr(args, "school_id", "") or ""
    if hasattr(args, "school_id") and not new_id.strip():
        return rejected("set-id needs the new School ID (clear-id removes one)")
    try:
        engine = engine_for(args)
        if args.commit:
            run_id, change = set_school_id(engine, args.tenant, args.school, new_id)
            print(f"Run {run_id}: {change.describe()} (undo: roster-pipeline rollback {run_id})")
        else:
            with engine.connect() as connection:
                change = plan_school_id(connection, args.tenant, args.school, new_id)
            print(f"Preview: {change.describe()} (apply with --commit)")
    except SchoolIdRefused as refused:
        return rejected(refused.reason)
    except CANNOT_RUN as error:
        return cannot_run(error)
    return EXIT_OK

"""`roster-pipeline db upgrade | load FILE.yaml | seed-demo`: set up the roster database."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sqlalchemy.exc import IntegrityError

from roster_pipeline.cli.options import add_runtime_options, engine_for
from roster_pipeline.roster.fixtures import FixtureError, load_fixture_file
from roster_pipeline.roster.migrate import upgrade
from roster_pipeline.roster.tenants import UnknownTenant, find_tenant
from roster_pipeline.samples import demo_tenant_path

DEMO_TENANT = "district-0042"


def add_db_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("db", help="create or upgrade the roster database, load fixtures")
    actions = parser.add_subparsers(dest="db_command", required=True)
    upgrade_parser = actions.add_parser("upgrade", help="apply the schema migrations")
    add_runtime_options(upgrade_parser)
    upgrade_parser.set_defaults(run=run_upgrade)
    load = actions.add_parser("load", help="load a YAML fixture of existing roster state")
    load.add_argument("file", type=Path)
    add_runtime_options(load)
    load.set_defaults(run=run_load)
    seed = actions.add_parser("seed-demo", help="load the demo tenant (district-0042)")
    add_runtime_options(seed)
    seed.set_defaults(run=run_seed_demo, file=None)


def run_upgrade(args: argparse.Namespace) -> int:
    engine = engine_for(args, migrated=False)
    upgrade(engine)
    print(f"roster database is up to date: {engine.url.render_as_string(hide_password=True)}")
    return 0


def run_load(args: argparse.Namespace) -> int:
    engine = engine_for(args, migrated=False)
    upgrade(engine)
    path = args.file or demo_tenant_path()
    try:
        with engine.begin() as connection:
            load_fixture_file(connection, path)
    except (FixtureError, ValueError) as error:
        print(f"cannot load {path}: {error}", file=sys.stderr)
        return 2
    except IntegrityError:
        print(f"cannot load {path}: its tenant or records already exist in the roster", file=sys.stderr)
        return 2
    print(f"loaded {path}")
    return 0


def run_seed_demo(args: argparse.Namespace) -> int:
    engine = engine_for(args, migrated=False)
    upgrade(engine)
    with engine.connect() as connection:
        try:
            find_tenant(connection, DEMO_TENANT)
        except UnknownTenant:
            return run_load(args)
    print(f"the demo tenant {DEMO_TENANT} is already loaded")
    return 0

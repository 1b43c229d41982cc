"""Entry point of the `roster-pipeline` command."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from roster_pipeline.cli.check import add_check_parser
from roster_pipeline.cli.classrooms import add_classrooms_parser
from roster_pipeline.cli.db import add_db_parser
from roster_pipeline.cli.demo import add_demo_parser
from roster_pipeline.cli.extras import add_codes_parser, add_generate_parser
from roster_pipeline.cli.imports import add_import_parsers
from roster_pipeline.cli.schools import add_schools_parser
from roster_pipeline.cli.students import add_students_parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="roster-pipeline", description="Import OneRoster-compatible roster uploads safely."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    add_check_parser(commands)
    add_import_parsers(commands)
    add_db_parser(commands)
    add_schools_parser(commands)
    add_classrooms_parser(commands)
    add_students_parser(commands)
    add_demo_parser(commands)
    add_codes_parser(commands)
    add_generate_parser(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    raise SystemExit(main())

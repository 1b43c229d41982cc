"""Entry point of the `roster-pipeline` command."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from sqlalchemy.exc import SQLAlchemyError

from roster_pipeline.cli.check import EXIT_OK, add_check_parser
from roster_pipeline.cli.classrooms import add_classrooms_parser
from roster_pipeline.cli.db import add_db_parser
from roster_pipeline.cli.demo import add_demo_parser
from roster_pipeline.cli.extras import add_codes_parser, add_generate_parser
from roster_pipeline.cli.imports import add_import_parsers, cannot_run
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


# What stops any command before it can do its work: the database (its URL, its driver, the server)
# or a file it reads or writes. Said in one line, with exit 2, instead of a traceback.
ENVIRONMENT_ERRORS = (SQLAlchemyError, OSError, ModuleNotFoundError)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except BrokenPipeError:  # the output went to a reader that stopped early (`| head`)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except ENVIRONMENT_ERRORS as error:
        return cannot_run(error)


if __name__ == "__main__":
    raise SystemExit(main())

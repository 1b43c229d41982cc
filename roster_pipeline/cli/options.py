"""Flags every roster command shares: where the database and the run artefacts are."""

from __future__ import annotations

import argparse
from pathlib import Path

from sqlalchemy import Engine, inspect

from roster_pipeline.roster.database import make_engine
from roster_pipeline.settings import runtime_settings


def add_runtime_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database-url", help="SQLAlchemy URL (default: $ROSTER_DATABASE_URL or data/roster.db)"
    )
    parser.add_argument(
        "--data-dir", type=Path, help="run artefacts folder (default: $ROSTER_DATA_DIR or data)"
    )


class NoRosterSchema(RuntimeError):
    pass


def engine_for(args: argparse.Namespace, *, migrated: bool = True) -> Engine:
    """The roster database; with ``migrated``, refuse one whose tables were never created."""
    engine = make_engine(runtime_settings(args.database_url, args.data_dir).database_url)
    if migrated and not inspect(engine).has_table("districts"):
        where = engine.url.render_as_string(hide_password=True)
        raise NoRosterSchema(
            f"the roster database {where} has no tables yet: run `roster-pipeline db upgrade`"
        )
    return engine


def data_dir_for(args: argparse.Namespace) -> Path:
    return runtime_settings(args.database_url, args.data_dir).data_dir

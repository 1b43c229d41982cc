"""Smaller commands: the issue codes and the synthetic upload generator."""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

from roster_pipeline.cli.table import render_table
from roster_pipeline.codes import CODES


def add_codes_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("codes", help="list every issue code with its severity")
    parser.set_defaults(run=run_codes)


def run_codes(args: argparse.Namespace) -> int:
    table = pd.DataFrame(
        [(code, info.severity, info.message) for code, info in CODES.items()],
        columns=["code", "severity", "meaning"],
    )
    print(render_table(table, max_width=100))
    return 0


def add_generate_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("generate", help="write a synthetic district upload (benchmarks)")
    parser.add_argument("out", type=Path)
    parser.add_argument("--students", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.set_defaults(run=run_generate)


def run_generate(args: argparse.Namespace) -> int:
    from roster_pipeline.synthetic.generate import generate_district

    counts = generate_district(args.out, students=args.students, seed=args.seed)
    for name, rows in counts.items():
        print(f"{name}: {rows:,} rows")
    return 0

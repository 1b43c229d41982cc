"""`roster-pipeline demo`: the whole import on embedded defaults, nothing to set up.

Starts a local S3-compatible server on 127.0.0.1 (moto's server mode), drops the sample upload into a
bucket, loads the demo tenant into a fresh SQLite roster under ``<data-dir>/demo/``, stages the upload
as a dry run, then commits exactly that plan, printing both.
"""

from __future__ import annotations

import argparse
import shutil
import socket

import boto3

from roster_pipeline.cli.imports import describe_outcome
from roster_pipeline.cli.options import add_runtime_options, data_dir_for
from roster_pipeline.import_run import apply_reviewed_run, run_import
from roster_pipeline.roster.database import make_engine
from roster_pipeline.roster.fixtures import load_fixture_file
from roster_pipeline.roster.migrate import upgrade
from roster_pipeline.samples import demo_tenant_path, sample_upload_path

DEMO_BUCKET = "roster-drop"
DEMO_PREFIX = "district-0042/sample-upload"
# The local server accepts any keys; these keep the demo from needing (or touching) real credentials.
DEMO_CREDENTIALS = {"aws_access_key_id": "demo", "aws_secret_access_key": "demo"}


def add_demo_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("demo", help="import the sample upload from a local S3 server, end to end")
    add_runtime_options(parser)
    parser.set_defaults(run=run_demo)


def run_demo(args: argparse.Namespace) -> int:
    try:
        from moto.server import ThreadedMotoServer
    except ImportError:
        print("the demo needs the dev extras (moto[server]): run `make demo`")
        return 2
    folder = data_dir_for(args) / "demo"
    shutil.rmtree(folder, ignore_errors=True)
    engine = make_engine(f"sqlite:///{folder / 'roster.db'}")
    upgrade(engine)
    with engine.begin() as connection:
        load_fixture_file(connection, demo_tenant_path())

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        endpoint = f"http://127.0.0.1:{port}"
        client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", **DEMO_CREDENTIALS)
        client.create_bucket(Bucket=DEMO_BUCKET)
        for path in sorted(sample_upload_path().glob("*.csv")):
            client.put_object(Bucket=DEMO_BUCKET, Key=f"{DEMO_PREFIX}/{path.name}", Body=path.read_bytes())
        location = f"s3://{DEMO_BUCKET}/{DEMO_PREFIX}/"
        print(f"Sample upload dropped at {location} (local S3 server {endpoint})\n")
        dry_run = run_import(engine, location, "district-0042", folder, s3_client=client)
    finally:
        server.stop()
    print(describe_outcome(dry_run), "\n")
    if dry_run.rejected:
        return 1
    status, message, _ = apply_reviewed_run(engine, dry_run.run_id, folder)
    print(f"Committed the reviewed plan: {message}. Roster: {folder / 'roster.db'}")
    return 0 if status == "COMMITTED" else 1


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]

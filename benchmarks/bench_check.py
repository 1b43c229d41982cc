"""Benchmark: read + validate a generated district upload, with peak memory.

    .venv/bin/python benchmarks/bench_check.py --students 100000

The upload is generated once into benchmarks/generated/ (ignored by git) by a separate process, so the
peak memory reported is that of reading and validating alone.
"""

from __future__ import annotations

import argparse
import json
import resource
import time

from generated_uploads import ensure_upload

from roster_pipeline.upload.sources import read_upload
from roster_pipeline.validation.validate import validate_upload


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    folder = ensure_upload(args.students, args.seed)
    size = sum(path.stat().st_size for path in folder.glob("*.csv"))

    started = time.perf_counter()
    upload = read_upload(str(folder))
    read_seconds = time.perf_counter() - started
    validated = validate_upload(upload)
    total_seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    rows = {name: len(item.rows) for name, item in validated.files.items() if item.rows is not None}
    figures = {
        "students": args.students,
        "upload_mb": round(size / 1e6, 1),
        "rows": rows,
        "issues": len(validated.issues),
        "errors": int((validated.issues["severity"] == "ERROR").sum()),
        "read_s": round(read_seconds, 2),
        "validate_s": round(total_seconds - read_seconds, 2),
        "total_s": round(total_seconds, 2),
        "peak_rss_mb": round(peak_mb),
    }
    print(json.dumps(figures, indent=2))
    print(
        f"\n{args.students:,} students, {sum(rows.values()):,} rows, {figures['upload_mb']} MB: "
        f"read+validate {figures['total_s']} s (read {figures['read_s']} s), "
        f"peak memory {figures['peak_rss_mb']} MB"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Generated district uploads for the benchmarks, made once into benchmarks/generated/ (ignored by git)
by a separate process, so no benchmark's memory includes the generator's."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

GENERATED = Path(__file__).resolve().parent / "generated"
GENERATE = [sys.executable, "-m", "roster_pipeline.synthetic.generate"]


def ensure_upload(students: int, seed: int) -> Path:
    folder = GENERATED / f"district-{students}-seed{seed}"
    if not (folder / "manifest.csv").exists():
        subprocess.run(
            [*GENERATE, str(folder), "--students", str(students), "--seed", str(seed)],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return folder

"""Data pipeline throughput: samples/s per stage and end to end for N synthetic widgets.

    python scripts/bench/data_pipeline.py [N=200] [--slots 2]

Runs build (generate), render_verify, dedup, difficulty and split on N fresh synthetic widgets in a
temporary directory, with the same stage functions the pipeline uses, and prints one JSON line: the
seconds and samples/s of each stage, end to end (renderer start-up reported apart), and the time
projected for 10,000 widgets against the 30-minute target (about 5.6 samples/s end to end).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

from widget2code.data.stages.build import build_synthetic
from widget2code.data.stages.dedup import dedup
from widget2code.data.stages.difficulty import tag_difficulty
from widget2code.data.stages.render_verify import render_verify
from widget2code.data.stages.split import split
from widget2code.render import Renderer

TARGET_N, TARGET_MINUTES = 10_000, 30.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=200, help="synthetic widgets (default 200)")
    parser.add_argument("--slots", type=int, default=2, help="renderer slots (renders in flight)")
    args = parser.parse_args()

    seconds: dict[str, float] = {}
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="bench-data-") as tmp:
        root = Path(tmp)
        start = time.perf_counter()
        with Renderer(slots=args.slots) as renderer:
            seconds["renderer_start"] = time.perf_counter() - start
            reports = [build_synthetic(root / "raw", num_samples=args.n, seed=0),
                       render_verify(root / "raw", root / "verify", renderer)]
        reports += [dedup(root / "verify", root / "dedup"),
                    tag_difficulty(root / "dedup", root / "difficulty"),
                    split(root / "difficulty", root / "split")]
    for report in reports:
        seconds[report.stage] = report.seconds
    stage_s = sum(r.seconds for r in reports)
    per_s = args.n / stage_s
    projected_min = (TARGET_N / per_s + seconds["renderer_start"]) / 60
    print(json.dumps({
        "bench": "data_pipeline", "n": args.n, "slots": args.slots, "cpus": os.cpu_count(),
        "machine": platform.machine(),
        # Other work on the machine slows rendering: the 1-minute load average before and after the run.
        "load_average": [round(load_before, 1), round(os.getloadavg()[0], 1)],
        "seconds": {k: round(v, 3) for k, v in seconds.items()},
        "samples_per_s": {r.stage: round(r.inputs / r.seconds, 2) if r.seconds else None for r in reports},
        "kept": {r.stage: r.kept for r in reports},
        "dropped": {r.stage: r.dropped for r in reports if r.dropped},
        "end_to_end_samples_per_s": round(per_s, 2),
        "projected_minutes_for_10k": round(projected_min, 1),
        "target_minutes_for_10k": TARGET_MINUTES,
        "meets_target": projected_min <= TARGET_MINUTES,
    }))


if __name__ == "__main__":
    main()

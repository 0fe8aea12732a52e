"""split: train / val / test, deterministic, stratified by category × difficulty, clusters kept whole.

Records sharing `metrics["cluster"]` (near-duplicates, see dedup) form one unit that goes to one
split. Units are ordered stratum by stratum (category, difficulty), shuffled inside each stratum with
a seed, and dealt out systematically: each unit goes to the split furthest behind its target share
of what has been dealt so far. So every stratum is spread over the splits in proportion, the global
counts hit the targets (exactly when no cluster has more than one record), and the same seed gives
the same split. Every split with a non-zero ratio gets at least one record when there are enough.
"""

from __future__ import annotations

import math
import os
import random
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path

from widget2code.data.manifest import SampleRecord, read_manifest, write_manifest
from widget2code.data.stages.base import StageReport, rebase

DEFAULT_RATIOS = {"train": 0.9, "val": 0.05, "test": 0.05}


class SplitConfigError(ValueError):
    """The split ratios are malformed."""


def check_ratios(ratios: Mapping[str, float]) -> None:
    """SplitConfigError unless the ratios are non-negative and sum to 1."""
    if not ratios or any(r < 0 for r in ratios.values()) or not math.isclose(sum(ratios.values()), 1.0, abs_tol=1e-6):
        raise SplitConfigError(f"split ratios must be non-negative and sum to 1, got {dict(ratios)}")


def target_counts(n: int, ratios: Mapping[str, float]) -> dict[str, int]:
    """Integer sizes summing to `n` (largest remainder), at least 1 per non-zero ratio when n allows."""
    check_ratios(ratios)
    names = list(ratios)
    exact = {s: n * ratios[s] for s in names}
    counts = {s: math.floor(exact[s]) for s in names}
    for s in sorted(names, key=lambda s: (counts[s] - exact[s], names.index(s)))[: n - sum(counts.values())]:
        counts[s] += 1
    nonzero = [s for s in names if ratios[s] > 0]
    if n >= len(nonzero):
        for s in nonzero:
            if counts[s] == 0:
                donor = max(names, key=lambda d: counts[d])
                counts[donor] -= 1
                counts[s] = 1
    return counts


def assign_splits(records: Sequence[SampleRecord], ratios: Mapping[str, float] = DEFAULT_RATIOS,
                  seed: int = 0) -> dict[str, str]:
    """id -> split name; see the module docstring."""
    units: defaultdict[str, list[SampleRecord]] = defaultdict(list)
    for record in records:
        units[str(record.metrics.get("cluster") or record.id)].append(record)
    strata: defaultdict[tuple[str, str], list[str]] = defaultdict(list)
    for key, members in units.items():
        first = min(members, key=lambda r: r.id)
        strata[(first.category, first.difficulty or "")].append(key)
    order: list[str] = []
    for stratum in sorted(strata):
        keys = sorted(strata[stratum])
        random.Random(f"{seed}:{stratum[0]}:{stratum[1]}").shuffle(keys)
        order.extend(keys)

    total = len(records)
    targets = target_counts(total, ratios)
    names = list(ratios)
    counts = dict.fromkeys(names, 0)
    dealt = 0
    assignment: dict[str, str] = {}
    for key in order:
        size = len(units[key])
        dealt += size
        open_splits = [s for s in names if counts[s] + size <= targets[s]] or names
        chosen = max(open_splits, key=lambda s: (targets[s] * dealt / total - counts[s], -names.index(s)))
        counts[chosen] += size
        for record in units[key]:
            assignment[record.id] = chosen
    return assignment


def split(in_dir: str | os.PathLike[str], out_dir: str | os.PathLike[str], *,
          ratios: Mapping[str, float] = DEFAULT_RATIOS, seed: int = 0) -> StageReport:
    """Set each record's `split`; rewrites `out_dir` as a whole, atomically."""
    start = time.perf_counter()
    in_dir, out_dir = Path(in_dir), Path(out_dir)
    records = read_manifest(in_dir)
    assignment = assign_splits(records, dict(ratios), seed)
    for record in records:
        record.split = assignment[record.id]
    write_manifest(out_dir, [rebase(r, in_dir, out_dir) for r in records])
    sizes = {name: sum(1 for r in records if r.split == name) for name in ratios}
    return StageReport("split", inputs=len(records), kept=len(records), extra={"sizes": sizes},
                       seconds=time.perf_counter() - start)

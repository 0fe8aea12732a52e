"""tag_difficulty: simple / medium / complex by the token count of the target code.

Tokens are counted with the model's own tokenizer (any object with Hugging Face's
`encode(text, add_special_tokens=False)`, e.g. `AutoTokenizer.from_pretrained(...)` or a
`tokenizers.Tokenizer`), since the token count is what training pays for. The thresholds come from
the config, or are fitted as terciles of the counts when not given, and are written to
`difficulty.json` so that another dataset can be tagged on the same scale.
"""

from __future__ import annotations

import os
import re
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from rich.progress import Progress

from widget2code.data.manifest import read_manifest, write_manifest
from widget2code.data.progress import track
from widget2code.data.stages.base import StageReport, rebase, write_json, write_rejected

LEVELS = ("simple", "medium", "complex")
REPORT_FILE = "difficulty.json"


class Encodes(Protocol):
    def encode(self, text: str, add_special_tokens: bool = ...) -> Any: ...


class RegexTokenizer:
    """Offline fallback when no model tokenizer is configured: identifiers, numbers and single symbols.

    Documented approximation, not a model's BPE: on TSX it counts within a small factor of a real
    tokenizer's tokens and ranks samples nearly the same way, which is all terciles need.
    """

    name = "regex"
    _TOKEN = re.compile(r"[A-Za-z_]\w*|\d+|[^\w\s]")

    def encode(self, text: str, add_special_tokens: bool = False) -> list[str]:
        return self._TOKEN.findall(text)


def count_tokens(tokenizer: Encodes, text: str) -> int:
    encoded = tokenizer.encode(text, add_special_tokens=False)
    return len(getattr(encoded, "ids", encoded))  # `tokenizers.Tokenizer` returns an Encoding


def fit_thresholds(counts: Sequence[int]) -> tuple[int, int]:
    """Tercile boundaries: a count <= the first is simple, <= the second medium, above it complex."""
    if not counts:
        raise ValueError("cannot fit difficulty thresholds on an empty dataset")
    low, high = np.quantile(np.asarray(counts, dtype=float), [1 / 3, 2 / 3])
    return int(low), int(high)


def level(count: int, thresholds: tuple[int, int]) -> str:
    return LEVELS[0] if count <= thresholds[0] else LEVELS[1] if count <= thresholds[1] else LEVELS[2]


def tag_difficulty(in_dir: str | os.PathLike[str], out_dir: str | os.PathLike[str], tokenizer: Encodes | None = None,
                   *, thresholds: Sequence[int] | None = None, progress: Progress | None = None) -> StageReport:
    """Count target tokens into `metrics["tsx_tokens"]` and set each record's `difficulty`."""
    if thresholds is not None and (len(thresholds) != 2 or not 0 <= thresholds[0] <= thresholds[1]):
        raise ValueError(f"difficulty thresholds must be two ascending non-negative counts, got {list(thresholds)}")
    start = time.perf_counter()
    tokenizer = tokenizer if tokenizer is not None else RegexTokenizer()
    in_dir, out_dir = Path(in_dir), Path(out_dir)
    records = read_manifest(in_dir)
    report = StageReport("difficulty", inputs=len(records))
    counted, rejected = [], []
    with track(progress, "difficulty", len(records)) as advance:
        for record in records:
            try:
                code = (in_dir / record.tsx).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                rejected.append((record, "missing_tsx"))
            else:
                record.metrics["tsx_tokens"] = count_tokens(tokenizer, code)
                counted.append(record)
            advance(1)
    fitted = thresholds is None and bool(counted)
    bounds = fit_thresholds([r.metrics["tsx_tokens"] for r in counted]) if fitted else tuple(thresholds or (0, 0))
    for record in counted:
        record.difficulty = level(record.metrics["tsx_tokens"], bounds)  # type: ignore[arg-type]
    levels = Counter(r.difficulty for r in counted)
    tokenizer_name = getattr(tokenizer, "name_or_path", None) or getattr(tokenizer, "name", type(tokenizer).__name__)
    summary = {"thresholds": list(bounds), "fitted": fitted, "tokenizer": tokenizer_name,
               "levels": {name: levels.get(name, 0) for name in LEVELS}}
    write_json(out_dir / REPORT_FILE, summary)
    report.dropped = write_rejected(out_dir, in_dir, rejected)
    write_manifest(out_dir, [rebase(r, in_dir, out_dir) for r in counted])
    report.kept, report.extra = len(counted), summary
    report.seconds = time.perf_counter() - start
    return report

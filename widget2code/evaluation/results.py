"""What an evaluation run produces: one `Sample` per reference and the run's `Summary`.

Both the runner (which makes them) and the run report (which shows them) read this module; on disk
they are `samples.jsonl` (`Sample.row()` per line) and `summary.json` (`Summary.to_dict()`), read back
together as `RunResults`. Two runs over the same references compare reference by reference
(`paired_differences`).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from widget2code.evaluation.errors import EvaluationInputError
from widget2code.evaluation.references import Reference
from widget2code.evaluation.stats import Interval, paired_difference
from widget2code.inference.best_of_n import Scored
from widget2code.inference.predictor import Prediction
from widget2code.render import RenderResult

SUMMARY = "summary.json"
SAMPLES = "samples.jsonl"
#: What two runs are compared on reference by reference: summary name -> samples.jsonl field.
PAIRED = {"reward": "reward", "render_success_rate": "rendered", "sampled/reward": "sampled_reward",
          "sampled/render_success_rate": "sampled_render_rate", "sampled/best_of_k_reward": "sampled_best_reward"}


@dataclass
class Summary:
    n: int
    render_success_rate: float
    metrics: dict[str, float | None]  # name -> mean over all references (None: not computed here)
    conditioning_gap: dict[str, float | int | None]  # value, low, high, n
    # k, temperature, top_p, seed, and reward, render_success_rate, best_of_k_reward as {value, low, high, n}
    sampled: dict[str, Any] | None = None  # None: greedy only
    breakdowns: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)  # key -> group -> stats
    predictor: str = ""
    reward: str = ""
    references: str = ""
    notes: list[str] = field(default_factory=list)  # why a metric is missing, unmatched files, ...

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def load(cls, run_dir: str | os.PathLike[str]) -> Summary:
        path = Path(run_dir) / SUMMARY
        return cls(**json.loads(path.read_text(encoding="utf-8")))


@dataclass
class SampledGroup:
    """One reference's k sampled completions: their rewards, whether each rendered, and details."""

    rewards: list[float]
    rendered: list[bool]
    candidates: list[dict[str, Any]]  # text, code, score, components, error (`Scored.summary()`)

    @property
    def reward(self) -> float:
        """avg@k: the mean reward of the k."""
        return float(np.mean(self.rewards))

    @property
    def render_rate(self) -> float:
        return float(np.mean(self.rendered))

    @property
    def best_reward(self) -> float:
        """best-of-k: the reward best-of-N inference would keep."""
        return max(self.rewards)

    def row(self) -> dict[str, Any]:
        """The fields a reference's samples.jsonl row gains."""
        return {"sampled_reward": self.reward, "sampled_render_rate": self.render_rate,
                "sampled_best_reward": self.best_reward, "sampled_rewards": self.rewards}

    @classmethod
    def of(cls, scored: Sequence[Scored]) -> SampledGroup:
        return cls(rewards=[float(s.score or 0.0) for s in scored], rendered=[s.image is not None for s in scored],
                   candidates=[s.summary() for s in scored])


@dataclass
class Sample:
    """One reference's row: what was predicted, how it rendered, and every score."""

    reference: Reference
    prediction: Prediction
    render: RenderResult | None
    reward: float = 0.0
    metrics: dict[str, float | None] = field(default_factory=dict)
    sampled: SampledGroup | None = None

    @property
    def error(self) -> str | None:
        """None when it rendered; else `missing` (no prediction), `no_code`, or the render's error kind."""
        if self.render is not None and self.render.ok:
            return None
        if self.prediction.extra.get("missing"):
            return "missing"
        if self.prediction.code is None:
            return "no_code"
        return str(self.render.error_kind) if self.render is not None else "no_code"

    def row(self) -> dict[str, Any]:
        ref = self.reference
        return {"id": ref.id, "source_id": ref.source_id, "category": ref.category, "difficulty": ref.difficulty,
                "rendered": self.error is None, "error": self.error,
                "message": self.render.message if self.render is not None else "",
                "predictor_score": self.prediction.score, "reward": self.reward, **self.metrics,
                **(self.sampled.row() if self.sampled is not None else {})}


@dataclass
class RunResults:
    """A finished run read back: its summary and its samples.jsonl rows by reference id."""

    summary: Summary
    rows: dict[str, dict[str, Any]]

    @classmethod
    def load(cls, run_dir: str | os.PathLike[str]) -> RunResults:
        root = Path(run_dir)
        try:
            summary = Summary.load(root)
            lines = (root / SAMPLES).read_text(encoding="utf-8").splitlines()
        except (OSError, ValueError, TypeError) as err:
            raise EvaluationInputError(f"{root} is not a finished evaluation run ({SUMMARY} and {SAMPLES}): "
                                       f"{err}") from err
        return cls(summary, {row["id"]: row for row in map(json.loads, lines)})

    def values(self, field_name: str) -> dict[str, float] | None:
        """One number per reference (a bool counts as 0/1), or None when any reference lacks one."""
        values = {ref_id: row.get(field_name) for ref_id, row in self.rows.items()}
        if not values or any(not isinstance(v, int | float) or math.isnan(v) for v in values.values()):
            return None
        return {ref_id: float(v) for ref_id, v in values.items()}


def paired_differences(baseline: RunResults, other: RunResults, names: Sequence[str] = (),
                       seed: int = 0) -> dict[str, Interval]:
    """`other` − `baseline`, reference by reference, with bootstrap 95 % intervals (references resampled
    in pairs), for greedy and sampled reward and render rate (`PAIRED`) and the metrics in `names`
    wherever both runs have a number for every reference. Raises `UnpairedRunsError` (naming the ids)
    when the runs hold different references."""
    fields = {**PAIRED, **{name: name for name in names}}
    differences = {}
    for name, field_name in fields.items():
        ours, theirs = baseline.values(field_name), other.values(field_name)
        if ours is not None and theirs is not None:
            differences[name] = paired_difference(ours, theirs, what=name, seed=seed)
    return differences

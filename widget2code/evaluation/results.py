"""What an evaluation run produces: one `Sample` per reference and the run's `Summary`.

Both the runner (which makes them) and the run report (which shows them) read this module; on disk
they are `samples.jsonl` (`Sample.row()` per line) and `summary.json` (`Summary.to_dict()`).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from widget2code.evaluation.references import Reference
from widget2code.inference.predictor import Prediction
from widget2code.render import RenderResult

SUMMARY = "summary.json"
SAMPLES = "samples.jsonl"


@dataclass
class Summary:
    n: int
    render_success_rate: float
    metrics: dict[str, float | None]  # name -> mean over all references (None: not computed here)
    conditioning_gap: dict[str, float | int | None]  # value, low, high, n
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
class Sample:
    """One reference's row: what was predicted, how it rendered, and every score."""

    reference: Reference
    prediction: Prediction
    render: RenderResult | None
    reward: float = 0.0
    metrics: dict[str, float | None] = field(default_factory=dict)

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
                "predictor_score": self.prediction.score, "reward": self.reward, **self.metrics}

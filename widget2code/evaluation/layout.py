"""Predictions on disk in the layout the official `widget2code-bench` evaluator reads.

    <run>/predictions/image_0001/output.png     the rendering (absent when the code did not render)
                                 output.tsx     the predicted code (absent when there was none)
                                 prediction.json  the raw completion, the predictor's score and notes,
                                                  and the render outcome
    <run>/gt/gt_0001.png                        the references, when they came from a manifest

so `widget2code-bench --gt_dir <run>/gt --pred_dir <run>/predictions` runs on a run unchanged. A
missing `output.png` is what the official evaluator counts as a missing prediction. Every file is
written atomically; `prediction.json` is written last, so its presence marks a finished sample (resume).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from widget2code.evaluation.references import Reference
from widget2code.files import atomic_write_bytes, atomic_write_text
from widget2code.inference.predictor import Prediction
from widget2code.render.result import RenderResult

PREDICTION_PNG = "output.png"
PREDICTION_TSX = "output.tsx"
RECORD = "prediction.json"


def sample_dir(pred_dir: str | os.PathLike[str], ref_id: str) -> Path:
    return Path(pred_dir) / f"image_{ref_id}"


def write_prediction(pred_dir: str | os.PathLike[str], ref_id: str, prediction: Prediction,
                     render: RenderResult | None) -> Path:
    """Write one sample's folder; stale files of an earlier run of the same id are removed."""
    folder = sample_dir(pred_dir, ref_id)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / RECORD).unlink(missing_ok=True)
    for name, content in ((PREDICTION_TSX, prediction.code), (PREDICTION_PNG, render.png if render else None)):
        if content is None:
            (folder / name).unlink(missing_ok=True)
        elif isinstance(content, str):
            atomic_write_text(folder / name, content)
        else:
            atomic_write_bytes(folder / name, content)
    record: dict[str, Any] = {
        "id": ref_id, "text": prediction.text, "score": prediction.score, "extra": prediction.extra,
        "render": render.summary() if render is not None else None,
    }
    atomic_write_text(folder / RECORD, json.dumps(record, ensure_ascii=False, default=str, indent=1))
    return folder


def read_prediction(pred_dir: str | os.PathLike[str], ref_id: str) -> Prediction | None:
    """The finished prediction of `ref_id` from an earlier run, or None (not there, or unreadable)."""
    folder = sample_dir(pred_dir, ref_id)
    try:
        record = json.loads((folder / RECORD).read_text(encoding="utf-8"))
        code_path = folder / PREDICTION_TSX
        code = code_path.read_text(encoding="utf-8") if code_path.is_file() else None
    except (OSError, ValueError):
        return None
    return Prediction(text=record.get("text") or "", code=code, score=record.get("score"),
                      extra=record.get("extra") or {})


def write_references(gt_dir: str | os.PathLike[str], references: list[Reference]) -> Path:
    """Copy the references' screenshots to `gt_dir/gt_XXXX.png` (the official GT layout)."""
    root = Path(gt_dir)
    for reference in references:
        target = root / f"gt_{reference.id}{reference.path.suffix.lower()}"
        if not target.is_file() or target.stat().st_size != reference.path.stat().st_size:
            atomic_write_bytes(target, reference.path.read_bytes())
    return root


def clear(path: str | os.PathLike[str]) -> None:
    """Remove a previous run's predictions (a fresh, non-resumed run)."""
    shutil.rmtree(path, ignore_errors=True)

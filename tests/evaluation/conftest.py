"""A tiny synthetic test split (real widgets, real renders), built once per session."""

from __future__ import annotations

from pathlib import Path

import pytest
from evaluation_widgets import CATEGORIES, DIFFICULTIES, N_WIDGETS

from widget2code.data.manifest import SampleRecord, write_manifest
from widget2code.data.synthetic import generate_widgets
from widget2code.evaluation.metrics import ProgrammaticComponents, WidgetBenchMetrics
from widget2code.evaluation.predictors import OraclePredictor
from widget2code.evaluation.references import from_manifest
from widget2code.evaluation.results import Summary
from widget2code.evaluation.runner import evaluate
from widget2code.render import Renderer
from widget2code.rewards.programmatic import ProgrammaticReward


@pytest.fixture(scope="session")
def dataset(tmp_path_factory: pytest.TempPathFactory, renderer: Renderer) -> Path:
    """A dataset directory: N_WIDGETS synthetic widgets, all in the test split, rendered for real."""
    root = tmp_path_factory.mktemp("eval-dataset")
    widgets = list(generate_widgets(N_WIDGETS, seed=3, categories=CATEGORIES))
    results = renderer.render_many([w.tsx for w in widgets])
    records = []
    for i, (widget, result) in enumerate(zip(widgets, results, strict=True)):
        assert result.ok, (widget.category, result.error_kind, result.message)
        record_id = f"synthetic-{i:06d}"
        (root / "tsx").mkdir(exist_ok=True)
        (root / "images").mkdir(exist_ok=True)
        (root / "tsx" / f"{record_id}.tsx").write_text(widget.tsx)
        (root / "images" / f"{record_id}.png").write_bytes(result.png)
        records.append(SampleRecord(id=record_id, source="synthetic", category=widget.category,
                                    tsx=f"tsx/{record_id}.tsx", image=f"images/{record_id}.png",
                                    width=result.width, height=result.height,
                                    difficulty=DIFFICULTIES[i % 2], split="test"))
    write_manifest(root, records)
    return root


@pytest.fixture(scope="session")
def reward() -> ProgrammaticReward:
    """The evaluation's default reward: programmatic without LPIPS (no AlexNet weights offline)."""
    return ProgrammaticReward(weights={"ssim": 0.15, "palette": 0.2, "contrast": 0.15, "polarity": 0.1,
                                       "layout": 0.2, "lpips": 0.0})


@pytest.fixture(scope="session")
def metric_sets(tmp_path_factory: pytest.TempPathFactory) -> list[object]:
    """Programmatic components and the official set, with the weight-needing networks' files absent."""
    nowhere = tmp_path_factory.mktemp("no-weights")
    return [ProgrammaticComponents(backbone_weights=nowhere / "alexnet.pth"),
            WidgetBenchMetrics(lpips_weights=nowhere / "vgg16.pth", ocr_model_dir=nowhere / "easyocr")]


@pytest.fixture(scope="session")
def oracle_run(tmp_path_factory: pytest.TempPathFactory, dataset: Path, renderer: Renderer,
               reward: ProgrammaticReward, metric_sets: list[object]) -> tuple[Summary, Path]:
    """The oracle evaluated on the tiny split, with every metric set and the HTML report."""
    out = tmp_path_factory.mktemp("oracle-run")
    summary = evaluate(from_manifest(dataset), OraclePredictor(dataset), renderer, reward, out,
                       metric_sets=metric_sets, seed=0)
    return summary, out

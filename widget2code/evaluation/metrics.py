"""What an evaluation measures, per sample, so that means, breakdowns and galleries share one table.

- `render_success_rate`: a missing prediction or a failed render is a failure, never dropped.
- `ProgrammaticComponents`: every component of `ProgrammaticReward` (SSIM, LPIPS, palette, contrast,
  polarity, layout), each in [0, 1]; LPIPS only where its backbone weights are on disk.
- `ClipMetric`: CLIP image–image similarity where the CLIP weights are on disk.
- `WidgetBenchMetrics`: the Widget2Code metric set of the official `widget2code-bench` package, per pair.

A metric that cannot be computed here (weights absent, package not installed) is `None` for every
sample, with a note saying why: missing is reported as missing (null in `summary.json`), never as 0.
A sample without a rendering gets the worst value of each metric that is computed (0; LPIPS distance
1), as the official evaluator's "zero fill" does, so failures weigh on the means.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
from PIL import Image

from widget2code.render.result import RenderResult
from widget2code.rewards.clip import DEFAULT_CLIP, ClipModelUnavailable, ClipSimilarityReward
from widget2code.rewards.devices import resolve_device
from widget2code.rewards.lpips_net import default_backbone_path, load_lpips
from widget2code.rewards.programmatic import DEFAULT_WEIGHTS, ProgrammaticReward

log = logging.getLogger(__name__)

Value = float | None


@dataclass
class Pair:
    """One reference and what the prediction rendered to (None: no code, or the render failed)."""

    reference: Image.Image
    reference_path: Path
    render: RenderResult | None
    render_path: Path | None  # the prediction's output.png on disk, when it rendered

    @property
    def rendered(self) -> bool:
        return self.render is not None and self.render.ok


@dataclass
class MetricResult:
    values: dict[str, list[Value]] = field(default_factory=dict)  # metric name -> one value per pair
    notes: list[str] = field(default_factory=list)  # why a metric is missing


class MetricSet(Protocol):
    def compute(self, pairs: Sequence[Pair]) -> MetricResult: ...


def render_success_rate(pairs: Sequence[Pair]) -> float:
    return sum(pair.rendered for pair in pairs) / len(pairs) if pairs else 0.0


def mean(values: Sequence[Value]) -> Value:
    """The mean of the values that exist; None when none does."""
    present = [v for v in values if v is not None and not math.isnan(v)]
    return float(np.mean(present)) if present else None


class ProgrammaticComponents:
    """Every `ProgrammaticReward` component, named `programmatic/<component>`.

    LPIPS is computed only when its backbone checkpoint is on disk (`backbone_weights`, else torchvision's
    cache); a random backbone would measure nothing, so it is reported missing instead.
    """

    def __init__(self, working_size: int = 256, background: str = "#ffffff", lpips_net: str = "alex",
                 backbone_weights: str | os.PathLike[str] | None = None, device: str | None = None) -> None:
        self.lpips_checked = (Path(backbone_weights).expanduser() if backbone_weights
                              else default_backbone_path(lpips_net))
        self.lpips_path = self.lpips_checked if self.lpips_checked.is_file() else None
        weights = {name: 1.0 for name in DEFAULT_WEIGHTS}
        weights["lpips"] = 1.0 if self.lpips_path else 0.0
        self.reward = ProgrammaticReward(weights=weights, working_size=working_size, background=background,
                                         lpips_net=lpips_net, backbone_weights=self.lpips_path, device=device)

    def compute(self, pairs: Sequence[Pair]) -> MetricResult:
        output = self.reward.score([p.reference for p in pairs], [p.render for p in pairs])
        result = MetricResult({f"programmatic/{name}": [float(v) for v in values]
                               for name, values in output.components.items()})
        if self.lpips_path is None:
            result.values["programmatic/lpips"] = [None] * len(pairs)
            result.notes.append(f"programmatic/lpips: the {self.reward.lpips_net} backbone checkpoint "
                                f"{self.lpips_checked} is not on disk")
        return result


class ClipMetric:
    """CLIP image–image similarity (`clip`), from weights already on disk (never downloaded here)."""

    def __init__(self, model_name_or_path: str = DEFAULT_CLIP, background: str = "#ffffff",
                 device: str | None = None) -> None:
        self.reward = ClipSimilarityReward(model_name_or_path, background=background, device=device,
                                           local_files_only=True)

    def compute(self, pairs: Sequence[Pair]) -> MetricResult:
        try:
            totals = self.reward([p.reference for p in pairs], [p.render for p in pairs])
        except ClipModelUnavailable as err:
            return MetricResult({"clip": [None] * len(pairs)}, [f"clip: {err}"])
        return MetricResult({"clip": [float(v) for v in totals]})


#: The official metrics, as named in `widget2code-bench`'s output, and the value a missing sample gets.
BENCH_METRICS: dict[str, float] = {
    "geo_score": 0.0, "MarginAsymmetry": 0.0, "ContentAspectDiff": 0.0, "AreaRatioDiff": 0.0,
    "PaletteDistance": 0.0, "Vibrancy": 0.0, "PolarityConsistency": 0.0, "ssim": 0.0, "ContrastDiff": 0.0,
    "LPIPS": 1.0, "TextJaccard": 0.0, "ContrastLocalDiff": 0.0,
}  # fmt: skip
BENCH_NEED_LPIPS = ("LPIPS",)
BENCH_NEED_OCR = ("TextJaccard", "ContrastLocalDiff")


class WidgetBenchMetrics:
    """The Widget2Code metric set through the `widget2code-bench` package (extra `bench`), per pair.

    Named `widget2code/<metric>`, on the package's scales (0-100, except ssim and LPIPS in 0-1; LPIPS is
    a distance, lower is better). The official CLI cannot start without LPIPS-VGG weights and downloads
    EasyOCR models, so its per-pair functions are called instead: with both networks available, the
    package's own `_evaluate_gt_pred`; otherwise its layout, style and geometry functions and the same
    SSIM and global-contrast expressions as its perceptual and legibility modules, with LPIPS
    (VGG backbone) and the OCR metrics (TextJaccard, ContrastLocalDiff) reported missing.

    The package keeps its networks in module globals (`perceptual._lpips_vgg`, `legibility._reader`);
    when the weights are on disk they are loaded here without downloads and handed to it there.
    Images are read from the files as the official evaluator reads them.

    Args:
        lpips_weights: torchvision's VGG16 checkpoint (default: torchvision's cache).
        ocr_model_dir: EasyOCR's model directory (default: EasyOCR's, ~/.EasyOCR/model).
        device: where LPIPS and OCR run (None: CUDA if available).
    """

    def __init__(self, lpips_weights: str | os.PathLike[str] | None = None,
                 ocr_model_dir: str | os.PathLike[str] | None = None, device: str | None = None) -> None:
        self.lpips_weights = Path(lpips_weights).expanduser() if lpips_weights else None
        self.ocr_model_dir = str(Path(ocr_model_dir).expanduser()) if ocr_model_dir else None
        self.device = device
        self._ready: tuple[bool, bool, list[str]] | None = None

    def _prepare(self) -> tuple[bool, bool, list[str]]:
        """(LPIPS available, OCR available, notes), loading the networks into the package once."""
        if self._ready is None:
            from widget_quality import legibility, perceptual

            device = resolve_device(self.device)
            notes = []
            path = self.lpips_weights or default_backbone_path("vgg")
            has_lpips = path.is_file()
            if has_lpips:
                perceptual._device = device
                perceptual._lpips_vgg = load_lpips("vgg", path, device=device)
            else:
                notes.append(f"widget2code/LPIPS: the VGG16 checkpoint {path} is not on disk")
            has_ocr = True
            try:
                import easyocr

                legibility._reader = easyocr.Reader(["en"], gpu=device.type == "cuda", verbose=False,
                                                    model_storage_directory=self.ocr_model_dir,
                                                    download_enabled=False)
            except (FileNotFoundError, OSError) as err:
                has_ocr = False
                notes.append(f"widget2code/TextJaccard, widget2code/ContrastLocalDiff: EasyOCR models are "
                             f"not on disk ({err})")
            self._ready = (has_lpips, has_ocr, notes)
        return self._ready

    def compute(self, pairs: Sequence[Pair]) -> MetricResult:
        names = [f"widget2code/{name}" for name in BENCH_METRICS]
        try:
            from widget_quality.utils import load_image
        except ImportError as err:
            return MetricResult({name: [None] * len(pairs) for name in names},
                                [f"widget2code/*: the widget2code-bench package is not installed ({err}); "
                                 "pip install 'widget2code[bench]'"])
        has_lpips, has_ocr, notes = self._prepare()
        missing = set(BENCH_NEED_LPIPS if not has_lpips else ()) | set(BENCH_NEED_OCR if not has_ocr else ())
        rows = []
        for pair in pairs:
            if pair.rendered and pair.render_path is not None:
                rows.append(self._pair(load_image(pair.reference_path), load_image(pair.render_path),
                                       has_lpips, has_ocr))
            else:
                rows.append(dict(BENCH_METRICS))
        values = {f"widget2code/{name}": [None if name in missing else row[name] for row in rows]
                  for name in BENCH_METRICS}
        return MetricResult(values, list(notes))

    @staticmethod
    def _pair(gt: np.ndarray, pred: np.ndarray, has_lpips: bool, has_ocr: bool) -> dict[str, float]:
        from skimage.metrics import structural_similarity
        from widget2code_bench.eval import _evaluate_gt_pred
        from widget_quality.composite import composite_score
        from widget_quality.geometry import compute_aspect_dimensionality_fidelity
        from widget_quality.layout import compute_layout
        from widget_quality.legibility import compute_legibility, contrast_ratio
        from widget_quality.perceptual import compute_perceptual
        from widget_quality.style import compute_style
        from widget_quality.utils import resize_to_match

        if has_lpips and has_ocr:
            scores = _evaluate_gt_pred(gt, pred)
        else:
            gen = resize_to_match(gt, pred)
            perceptual = (compute_perceptual(gt, gen) if has_lpips else
                          {"SSIM": structural_similarity(gt, gen, channel_axis=2, data_range=1.0), "LPIPS": 0.0})
            if has_ocr:
                legibility = compute_legibility(gt, gen)
            else:
                contrast = abs(np.nan_to_num(contrast_ratio(gt)) - np.nan_to_num(contrast_ratio(gen)))
                legibility = {"TextJaccard": 0.0, "ContrastDiff": float(np.clip(contrast, 0, 5)),
                              "ContrastLocalDiff": 0.0}
            scores = composite_score(compute_aspect_dimensionality_fidelity(gt, pred), perceptual,
                                     compute_layout(gt, gen), legibility, compute_style(gt, gen))
        flat = {name: float(value) for group in scores.values() for name, value in group.items()}
        flat["LPIPS"] = flat.pop("lp")
        return flat

"""WidgetAnchor's programmatic reward: a weighted blend of six image similarities.

    reward = ProgrammaticReward()                       # weights: ssim .15, lpips .15, palette .20,
    reward.score(references, candidates).components     #   contrast .15, polarity .10, layout .20

All metrics run on one prepared batch (`images.prepare_pairs`), LPIPS as one forward pass. Weights
are normalised to sum to 1, so the total stays in [0, 1]; a metric with weight 0 is not computed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import torch
from PIL import Image

from widget2code.rewards import metrics
from widget2code.rewards.base import Candidate, Reward, RewardOutput, clamp01, normalize_weights, renderable
from widget2code.rewards.devices import resolve_device
from widget2code.rewards.images import PairBatch, parse_color, prepare_pairs
from widget2code.rewards.lpips_net import load_lpips, lpips_similarity

DEFAULT_WEIGHTS: dict[str, float] = {
    "ssim": 0.15, "lpips": 0.15, "palette": 0.20, "contrast": 0.15, "polarity": 0.10, "layout": 0.20,
}


class ProgrammaticReward(Reward):
    """Weighted blend of SSIM, LPIPS, palette, contrast, polarity and layout similarity.

    Args:
        weights: metric name -> weight (missing names get 0); normalised to sum to 1.
        working_size: side of the square every pair is prepared at (see `images.py`).
        background: render background, used for alpha compositing, padding and the layout masks.
        lpips_net / backbone_weights / allow_random_backbone: see `lpips_net.load_lpips`.
        lpips_max_size: pairs larger than this are averaged down for LPIPS (None: never); see
            `lpips_net.lpips_similarity`.
        palette_clusters, palette_max_delta_e: k-means clusters per image; ΔE at which colours stop matching.
        layout_threshold: colour / edge step (0-1) that makes a pixel foreground for the layout masks.
        device: torch device for LPIPS (None: CUDA if available).
    """

    name = "programmatic"

    def __init__(self, weights: Mapping[str, float] | None = None, working_size: int = 256,
                 background: str = "#ffffff", lpips_net: str = "alex",
                 backbone_weights: str | os.PathLike[str] | None = None, allow_random_backbone: bool = False,
                 lpips_max_size: int | None = 256,
                 palette_clusters: int = 6, palette_max_delta_e: float = 50.0, layout_threshold: float = 0.1,
                 device: str | None = None) -> None:
        self.weights = normalize_weights(DEFAULT_WEIGHTS if weights is None else weights, list(DEFAULT_WEIGHTS),
                                         "programmatic metric")
        if working_size < 8:
            raise ValueError(f"working_size must be at least 8 px, got {working_size}")
        self.working_size = int(working_size)
        self.background = background
        parse_color(background)  # fail at construction, not at the first score
        self.lpips_net = lpips_net
        self.backbone_weights = backbone_weights
        self.allow_random_backbone = allow_random_backbone
        self.lpips_max_size = lpips_max_size
        self.palette_clusters = palette_clusters
        self.palette_max_delta_e = palette_max_delta_e
        self.layout_threshold = layout_threshold
        self.device = device
        self._lpips: torch.nn.Module | None = None

    def __getstate__(self) -> dict[str, object]:
        state = self.__dict__.copy()
        state["_lpips"] = None  # rebuilt lazily in the receiving process
        return state

    @property
    def lpips_model(self) -> torch.nn.Module:
        """The LPIPS network, loaded on first use (raises `LpipsWeightsMissing` if weights are absent)."""
        if self._lpips is None:
            self._lpips = load_lpips(self.lpips_net, self.backbone_weights, self.allow_random_backbone,
                                     resolve_device(self.device))
        return self._lpips

    def metric_functions(self) -> dict[str, Callable[[PairBatch], np.ndarray]]:
        """Metric name -> function of a prepared batch, for the metrics with a positive weight."""
        functions: dict[str, Callable[[PairBatch], np.ndarray]] = {
            "ssim": metrics.ssim,
            "lpips": lambda batch: lpips_similarity(self.lpips_model, batch, self.lpips_max_size),
            "palette": lambda batch: metrics.palette(batch, self.palette_clusters,
                                                     max_delta_e=self.palette_max_delta_e),
            "contrast": metrics.contrast,
            "polarity": metrics.polarity,
            "layout": lambda batch: metrics.layout(batch, self.layout_threshold),
        }
        return {name: fn for name, fn in functions.items() if self.weights[name] > 0}

    def prepare(self, references: Sequence[Image.Image], candidates: Sequence[Image.Image]) -> PairBatch:
        return prepare_pairs(references, candidates, self.working_size, self.background)

    def score(self, references: Sequence[Image.Image], candidates: Sequence[Candidate],
              **context: object) -> RewardOutput:
        functions = self.metric_functions()
        split = renderable(references, candidates)
        errors, n = split.errors, len(candidates)
        components = {name: [0.0] * n for name in functions}
        if split.indices:
            batch = self.prepare(split.references, split.images)
            for name, fn in functions.items():
                for i, value in zip(split.indices, fn(batch), strict=True):
                    components[name][i] = clamp01(float(value))
        totals = [clamp01(sum(self.weights[name] * components[name][i] for name in functions))
                  if errors[i] is None else 0.0 for i in range(n)]
        return RewardOutput(total=totals, components=components, errors=errors)

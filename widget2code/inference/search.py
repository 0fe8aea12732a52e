"""Single shot, best-of-N and polish over any proposer: the predictor logic, written once.

- single: one completion per screenshot (scored when a renderer and a reward are given);
- best_of_n: `n` completions, rendered in one batch, scored against the screenshot, the best kept;
  every candidate is listed with its score in `extra["candidates"]`;
- polish: best-of-`n` (single shot when n = 1), then up to `rounds` rounds of revision; the rounds
  are in `extra["history"]` and the result never scores lower than the start.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from PIL import Image

from widget2code.inference.best_of_n import Scored, best_index, score_texts
from widget2code.inference.polish import polish
from widget2code.inference.predictor import Prediction, Proposer, completion_code
from widget2code.render import Renderer
from widget2code.rewards.base import Reward

Mode = Literal["single", "best_of_n", "polish"]
MODES: tuple[str, ...] = ("single", "best_of_n", "polish")


class PredictorConfigError(ValueError):
    """A predictor was configured in a way that cannot work (unknown mode, missing renderer, ...)."""


@dataclass
class Outcome:
    """What a search found for one screenshot: the kept candidate (with its render) and the details."""

    best: Scored
    extra: dict[str, Any] = field(default_factory=dict)

    def prediction(self) -> Prediction:
        return Prediction(text=self.best.text, code=self.best.code, score=self.best.score, extra=self.extra)


class SearchPredictor:
    """A `Predictor` over a `Proposer`; `search` also returns the kept renders (the CLI saves them)."""

    def __init__(self, proposer: Proposer, renderer: Renderer | None = None, reward: Reward | None = None,
                 mode: Mode = "single", n: int = 1, rounds: int = 3, name: str = "model") -> None:
        if mode not in MODES:
            raise PredictorConfigError(f"unknown predictor mode {mode!r}; expected one of {', '.join(MODES)}")
        if n < 1 or rounds < 0:
            raise PredictorConfigError(f"need n >= 1 and rounds >= 0, got n={n}, rounds={rounds}")
        if mode != "single" and (renderer is None or reward is None):
            raise PredictorConfigError(f"mode {mode!r} scores candidates: it needs a renderer and a reward")
        self.proposer, self.renderer, self.reward = proposer, renderer, reward
        self.mode, self.n, self.rounds, self.name = mode, n, rounds, name

    def predict(self, images: Sequence[Image.Image], ids: Sequence[str]) -> list[Prediction]:
        return [outcome.prediction() for outcome in self.search(images, ids)]

    def search(self, images: Sequence[Image.Image], ids: Sequence[str]) -> list[Outcome]:
        if len(images) != len(ids):
            raise ValueError(f"{len(images)} images for {len(ids)} ids")
        targets = [image.convert("RGB") for image in images]
        if not targets:
            return []
        texts = self.proposer.propose(targets, 1 if self.mode == "single" else self.n)
        if self.renderer is None or self.reward is None:
            return [Outcome(Scored(text=group[0], code=completion_code(group[0])), {"mode": self.mode})
                    for group in texts]
        candidates = score_texts(self.renderer, self.reward, targets, texts)
        picks = [best_index(group) for group in candidates]
        outcomes = [Outcome(group[k], {"mode": self.mode, "best_index": k, "error": group[k].error,
                                       "components": group[k].components,
                                       "candidates": [c.summary() for c in group]})
                    for group, k in zip(candidates, picks, strict=True)]
        if self.mode != "polish":
            return outcomes
        starts = [outcome.best for outcome in outcomes]
        for outcome, polished in zip(outcomes, polish(self.proposer, self.renderer, self.reward, targets, starts,
                                                      self.rounds, self.n), strict=True):
            outcome.best = polished.best
            outcome.extra.update(start_score=polished.history[0]["score"], history=polished.history,
                                 error=polished.best.error, components=polished.best.components)
        return outcomes

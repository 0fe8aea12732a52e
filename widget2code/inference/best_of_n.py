"""Best-of-N: score every candidate against the input screenshot and keep the best.

No reference code is needed: the screenshot itself is the reference. All candidates of all
screenshots go through ONE `render_many` (the renderer keeps its pages busy) and one reward call.
Scores are absolute: no group information is passed to the reward, so a candidate's score does not
depend on its siblings and scores from different rounds (polish) can be compared.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from widget2code.inference.predictor import completion_code
from widget2code.render import Renderer, RenderResult
from widget2code.rewards.base import Reward

#: The error of a candidate with no code to render.
NO_CODE = "no_code"


@dataclass
class Scored:
    """One candidate: its completion, the code taken from it, its render and its score."""

    text: str
    code: str | None
    score: float | None = None
    components: dict[str, float] = field(default_factory=dict)
    error: str | None = None  # why it scored nothing: no code, or the render's error kind
    render: RenderResult | None = None

    def summary(self) -> dict[str, Any]:
        """JSON-friendly fields (no pixels) for score.json and `Prediction.extra`."""
        return {"score": self.score, "components": self.components, "error": self.error,
                "code": self.code, "text": self.text}

    @property
    def image(self) -> Image.Image | None:
        return self.render.image if self.render is not None and self.render.ok else None


def score_texts(
    renderer: Renderer, reward: Reward, references: Sequence[Image.Image], texts: Sequence[Sequence[str]]
) -> list[list[Scored]]:
    """Render and score `texts[i]` (any number of completions) against `references[i]`."""
    if len(references) != len(texts):
        raise ValueError(f"{len(references)} screenshots for {len(texts)} groups of completions")
    owners = [i for i, group in enumerate(texts) for _ in group]
    flat = [text for group in texts for text in group]
    codes = [completion_code(text) for text in flat]
    rendered = iter(renderer.render_many([code for code in codes if code is not None]))
    renders = [next(rendered) if code is not None else None for code in codes]
    scored: list[list[Scored]] = [[] for _ in texts]
    if not flat:
        return scored
    out = reward.score([references[i] for i in owners], renders, completions=flat)
    for k, (owner, text, code, render) in enumerate(zip(owners, flat, codes, renders, strict=True)):
        error = NO_CODE if code is None else (out.errors[k] if out.errors else None)
        scored[owner].append(Scored(
            text=text, code=code, score=float(out.total[k]), render=render, error=error,
            components={name: float(values[k]) for name, values in out.components.items()}))
    return scored


def best_index(candidates: Sequence[Scored]) -> int:
    """The highest-scoring candidate (the first one on ties)."""
    if not candidates:
        raise ValueError("no candidates to choose from")
    return max(range(len(candidates)), key=lambda i: (candidates[i].score or 0.0, -i))

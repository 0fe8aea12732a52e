"""The reward interface every scorer implements.

A reward is a picklable callable class built by `hydra.utils.instantiate`:

    reward(references, candidates, **context) -> list[float]      # one value in [0, 1] per candidate

`references[i]` is the screenshot that `candidates[i]` should reproduce (callers repeat a reference
for every member of its group). A candidate is a `RenderResult`, a PIL image, or None; one that did
not render scores 0 and its error kind is recorded. `score()` returns the same totals together with
a per-component breakdown for logging.

A reward whose score depends on the other members of its group (the round-robin tournament: wins /
games) sets `group_relative = True`; `absolute()` is the part of a reward that scores a candidate on
its own, which is what a group of one (greedy validation) can be scored with. `close()` releases what
a reward started (a compile worker, an HTTP client); rewards are context managers that close on exit.

Inside a composite, a reward can reuse what an earlier sibling computed in the same call: the
composite passes `context[SIBLING_OUTPUTS]` (sibling name -> its `RewardOutput`, the entries scored
so far), and a reward that reads it names those siblings in `depends_on`, which the composite checks
at construction (the tournament gates on the programmatic entry's totals instead of scoring again).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Self

from PIL import Image

from widget2code.render.result import RenderResult

Candidate = RenderResult | Image.Image | None

#: Context key: the outputs of the entries a composite has scored so far in this call, name -> RewardOutput.
SIBLING_OUTPUTS = "sibling_outputs"


@dataclass
class RewardOutput:
    total: list[float]
    components: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str | None] = field(default_factory=list)

    def rows(self) -> list[dict[str, object]]:
        """One dict per candidate: total, every component, and the error kind (for JSON lines, tables)."""
        rows = []
        for i, total in enumerate(self.total):
            row: dict[str, object] = {"total": total}
            row.update({name: values[i] for name, values in self.components.items()})
            row["error"] = self.errors[i] if self.errors else None
            rows.append(row)
        return rows


class Reward(ABC):
    """Base class: subclasses implement `score`; `__call__` returns the totals."""

    #: The key under which this reward's total appears in a composite's breakdown and in logs.
    name: str = "reward"
    #: True when a candidate's score depends on the rest of its group (a group of one cannot be scored).
    group_relative: bool = False
    #: Names of sibling entries whose outputs this reward reads from `context[SIBLING_OUTPUTS]`.
    depends_on: tuple[str, ...] = ()

    @property
    def __name__(self) -> str:  # TRL and loggers look for a function-like name
        return self.name

    def __call__(self, references: Sequence[Image.Image], candidates: Sequence[Candidate],
                 **context: object) -> list[float]:
        return self.score(references, candidates, **context).total

    @abstractmethod
    def score(self, references: Sequence[Image.Image], candidates: Sequence[Candidate],
              **context: object) -> RewardOutput:
        """Score each candidate against its reference."""

    def absolute(self) -> Reward | None:
        """The part of this reward that scores a candidate on its own: itself, or None if group-relative."""
        return None if self.group_relative else self

    def close(self) -> None:  # noqa: B027  (an optional hook: most rewards hold nothing to release)
        """Release what the reward started (workers, clients); it starts them again if used afterwards."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def candidate_image(candidate: Candidate) -> tuple[Image.Image | None, str | None]:
    """The candidate's picture, or None with the reason it has none (the render's error kind)."""
    if candidate is None:
        return None, "missing"
    if isinstance(candidate, RenderResult):
        if not candidate.ok:
            return None, str(candidate.error_kind)
        return candidate.image, None
    return candidate, None


def clamp01(value: float) -> float:
    """Map any float (NaN included) into [0, 1]; NaN becomes 0 so a broken metric never rewards."""
    if value is None or math.isnan(value):
        return 0.0
    return min(1.0, max(0.0, float(value)))


def normalize_weights(weights: Mapping[str, float], known: Sequence[str], owner: str,
                      error: type[ValueError] = ValueError) -> dict[str, float]:
    """Weights for every name in `known` (missing ones 0), checked and scaled to sum to 1."""
    unknown = sorted(set(weights) - set(known))
    if unknown:
        raise error(f"unknown {owner}(s) {unknown}; known: {list(known)}")
    if any(w < 0 for w in weights.values()) or sum(weights.values()) <= 0:
        raise error(f"{owner} weights must be >= 0 with a positive sum, got {dict(weights)}")
    total = sum(weights.values())
    return {name: float(weights.get(name, 0.0)) / total for name in known}


@dataclass
class Renderable:
    """The candidates that have a picture (`indices` into the input), paired with their references."""

    indices: list[int]
    references: list[Image.Image]
    images: list[Image.Image]
    errors: list[str | None]  # one per input candidate: None, or why it has no picture


def renderable(references: Sequence[Image.Image], candidates: Sequence[Candidate]) -> Renderable:
    """Split a batch for an image reward: failed candidates score 0 and keep their error kind."""
    if len(references) != len(candidates):
        raise ValueError(f"{len(references)} references for {len(candidates)} candidates")
    split = Renderable(indices=[], references=[], images=[], errors=[None] * len(candidates))
    for i, candidate in enumerate(candidates):
        image, error = candidate_image(candidate)
        if image is None:
            split.errors[i] = error
        else:
            split.indices.append(i)
            split.references.append(references[i])
            split.images.append(image)
    return split

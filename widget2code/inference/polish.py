"""Polish: show the model the target and how its current best code renders, and ask for a revision.

Each round, every screenshot still improving gets `n` revisions of its current best, rendered and
scored like best-of-N candidates. The best revision replaces the current best only when it scores
strictly higher; a screenshot whose round brought nothing better stops. So the result never scores
lower than the start, and every round (its candidates, scores and whether one was kept) is recorded.

The revision turn is one user message with two images, written once here for local models and
OpenAI-compatible VLMs alike (`revision_parts`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from widget2code.inference.best_of_n import Scored, best_index, score_texts
from widget2code.inference.predictor import Proposer, Revision
from widget2code.render import Renderer
from widget2code.rewards.base import Reward

#: Stands in for the rendering when the current code did not render (the page background).
BLANK = "white"

REVISION_PROMPT = (
    "The first image is the target widget. The second image is how the current code renders{status}.\n"
    "Current code:\n<code>{code}</code>\n"
    "Revise the code so that its rendering matches the target exactly. Answer in the same format as before."
)


def revision_parts(revision: Revision) -> list[str | Image.Image]:
    """The revision turn as text and images in order: label, target, label, rendering, instruction."""
    rendering = revision.rendering
    if rendering is None:
        rendering = Image.new("RGB", revision.target.size, BLANK)
    failed = revision.rendering is None
    status = f" (it failed to render: {revision.error or 'unknown error'}; shown blank)" if failed else ""
    text = REVISION_PROMPT.format(status=status, code=revision.code or "(none)")
    return ["Target widget:", revision.target, "Current rendering:", rendering, text]


@dataclass
class Polished:
    best: Scored
    history: list[dict[str, Any]] = field(default_factory=list)


def polish(
    proposer: Proposer,
    renderer: Renderer,
    reward: Reward,
    targets: Sequence[Image.Image],
    starts: Sequence[Scored],
    rounds: int,
    n: int = 1,
) -> list[Polished]:
    """Up to `rounds` rounds of revision from `starts` (scored candidates, one per target)."""
    results = [Polished(best=start, history=[{"round": 0, "kept": True, **start.summary()}]) for start in starts]
    active = list(range(len(targets)))
    for round_number in range(1, rounds + 1):
        if not active:
            break
        requests = [Revision(target=targets[i], rendering=results[i].best.image, code=results[i].best.code or "",
                             error=results[i].best.error) for i in active]
        revisions = score_texts(renderer, reward, [targets[i] for i in active], proposer.revise(requests, n))
        improving = []
        for i, candidates in zip(active, revisions, strict=True):
            k = best_index(candidates)
            kept = (candidates[k].score or 0.0) > (results[i].best.score or 0.0)
            results[i].history.append({"round": round_number, "kept": kept, "best_index": k,
                                       "candidates": [c.summary() for c in candidates]})
            if kept:
                results[i].best = candidates[k]
                improving.append(i)
        active = improving
    return results

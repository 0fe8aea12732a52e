"""The conditioning gap: does a model look at its input?

For each rendered prediction i, with the same reward r:

    gap_i = r(prediction_i, reference_i) - mean_{j != i} r(prediction_i, reference_j)

and the gap is the mean of gap_i over predictions, with a bootstrap 95 % interval. A predictor that
writes the same widget whatever the screenshot scores about 0, however good that widget is (for one
constant rendering the mean over i of its own scores equals the mean of its scores against the
others); the references themselves as predictions give the ceiling of the set.

Predictions that did not render carry no picture to compare and are left out of the gap (the render
success rate reports them). With many references, each prediction meets a seeded random sample of
`max_others` other references instead of all of them.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from itertools import pairwise

import numpy as np
from PIL import Image

from widget2code.evaluation.stats import Interval, mean_interval
from widget2code.rewards.base import Candidate, Reward, candidate_image


def conditioning_gap(reward: Reward, references: Sequence[Image.Image], candidates: Sequence[Candidate],
                     own_scores: Sequence[float] | None = None, max_others: int | None = 32,
                     confidence: float = 0.95, n_resamples: int = 2000, seed: int = 0,
                     context: Mapping[str, Sequence[object]] | None = None) -> Interval:
    """The gap of `candidates[i]` against `references[i]`: its mean over the rendered predictions (`n`
    of them; value None when none rendered) with the bootstrap interval.

    `own_scores` reuses r(candidate_i, reference_i) when the caller has it; `context` holds per-candidate
    lists the reward reads (e.g. `completions` for the format reward), re-indexed with the candidates.
    """
    context = context or {}
    if len(references) != len(candidates):
        raise ValueError(f"{len(references)} references for {len(candidates)} candidates")
    rng = random.Random(seed)
    rendered = [i for i, c in enumerate(candidates) if candidate_image(c)[0] is not None]
    if not rendered or len(references) < 2:
        return Interval(None, None, None, 0)
    own = (np.asarray([own_scores[i] for i in rendered], dtype=float) if own_scores is not None else
           np.asarray(reward([references[i] for i in rendered], [candidates[i] for i in rendered],
                             **_pick(context, rendered)), dtype=float))
    others_of = {}
    for i in rendered:
        others = [j for j in range(len(references)) if j != i]
        others_of[i] = rng.sample(others, max_others) if max_others and len(others) > max_others else others
    flat_refs = [references[j] for i in rendered for j in others_of[i]]
    flat_index = [i for i in rendered for _ in others_of[i]]
    scores = np.asarray(reward(flat_refs, [candidates[i] for i in flat_index], **_pick(context, flat_index)),
                        dtype=float)
    bounds = np.cumsum([0] + [len(others_of[i]) for i in rendered])
    against_others = np.asarray([scores[a:b].mean() for a, b in pairwise(bounds)])
    return mean_interval(own - against_others, confidence, n_resamples, seed)


def _pick(context: Mapping[str, Sequence[object]], indices: Sequence[int]) -> dict[str, list[object]]:
    return {key: [values[i] for i in indices] for key, values in context.items()}

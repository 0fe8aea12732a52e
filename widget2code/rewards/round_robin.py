"""A round-robin tournament inside each group of candidates, judged pairwise by a VLM.

Per group (the candidates generated for one prompt):
1. A cheap gate reward (the programmatic metrics, in the shipped config) scores every candidate;
   those below `gate_threshold` (0.3) are eliminated and get 0. Failed renders score 0 on any gate.
   With `gate_from: <name>`, inside a composite the tournament takes the totals of the sibling entry
   of that name (already scored in the same call, `SIBLING_OUTPUTS`) as its gate scores instead of
   scoring the gate again; scored on its own it falls back to `gate`.
2. Every pair of survivors is judged in both orders by a pairwise `VLMJudgeReward`; a win counts
   only when both orders agree, anything else is a tie.
3. A survivor's reward is its wins (a tie counts 0.5) divided by the games it played (survivors - 1),
   so it lies in [0, 1]. A lone survivor has nobody to lose to and gets 1.0: it beat the gate and
   every other candidate failed it. The score is relative to the group (`group_relative`), so the
   tournament has no absolute part: a group of one would get 1.0 for anything past the gate.

Groups come from `context["group_ids"]` (one id per candidate), else `context["group_size"]`
(consecutive runs of that size), else candidates that share the same reference picture form a group.
All pairs of all groups are judged in one batch of concurrent requests.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Mapping, Sequence
from contextlib import ExitStack

from PIL import Image

from widget2code.rewards.base import SIBLING_OUTPUTS, Candidate, Reward, RewardOutput
from widget2code.rewards.groups import group_labels, group_members
from widget2code.rewards.vlm_judge import VLMJudgeReward


def group_indices(n: int, references: Sequence[Image.Image], context: dict[str, object]) -> list[list[int]]:
    """The candidates' indices per group, from `group_ids`, `group_size` or shared references."""
    labels = group_labels(n, context.get("group_ids"), context.get("group_size"))
    if labels is None:
        if len(references) != n:
            raise ValueError(f"{len(references)} references for {n} candidates")
        labels = group_labels(n, [_picture_hash(reference) for reference in references])
    return group_members(labels)


def _picture_hash(image: Image.Image) -> str:
    return hashlib.sha256(f"{image.mode}{image.size}".encode() + image.tobytes()).hexdigest()


class RoundRobinTournamentReward(Reward):
    """Gate, then all-pairs pairwise judging of the survivors; see the module docstring."""

    name = "tournament"
    group_relative = True

    def __init__(self, gate: Reward | None, judge: VLMJudgeReward, gate_threshold: float = 0.3,
                 gate_from: str | None = None) -> None:
        if not isinstance(judge, VLMJudgeReward) or judge.mode != "pairwise":
            raise ValueError(f"the tournament's judge must be a VLMJudgeReward with mode='pairwise', got {judge!r}")
        if not 0.0 <= gate_threshold <= 1.0:
            raise ValueError(f"gate_threshold must be in [0, 1], got {gate_threshold}")
        if gate is None and not gate_from:
            raise ValueError("the tournament needs a gate reward, or gate_from naming a sibling composite entry")
        self.gate, self.judge, self.gate_threshold = gate, judge, gate_threshold
        self.gate_from = gate_from or None
        self.depends_on = (self.gate_from,) if self.gate_from else ()

    def stats(self) -> dict[str, float]:
        """The judge's request, token, cost and cache counters, for logging."""
        return self.judge.stats()

    def close(self) -> None:
        """Close the judge's HTTP client and the gate."""
        with ExitStack() as stack:
            if self.gate is not None:
                stack.callback(self.gate.close)
            stack.callback(self.judge.close)

    def score(self, references: Sequence[Image.Image], candidates: Sequence[Candidate],
              **context: object) -> RewardOutput:
        n = len(candidates)
        if len(references) != n:
            raise ValueError(f"{self.name}: {len(references)} references for {n} candidates")
        gated = self._gate_scores(references, candidates, context)
        survives = [g >= self.gate_threshold for g in gated.total]
        games: list[tuple[int, int]] = []
        games_played = [0] * n
        for group in group_indices(n, references, context):
            alive = [i for i in group if survives[i]]
            games.extend(itertools.combinations(alive, 2))
            for i in alive:
                games_played[i] = len(alive) - 1
        verdicts = self.judge.compare_many([(references[a], candidates[a], candidates[b]) for a, b in games])
        wins = [0.0] * n
        for (a, b), verdict in zip(games, verdicts, strict=True):
            wins[a] += {"A": 1.0, "tie": 0.5, "B": 0.0}[verdict.winner]
            wins[b] += {"B": 1.0, "tie": 0.5, "A": 0.0}[verdict.winner]
        totals = [
            0.0 if not survives[i] else (1.0 if games_played[i] == 0 else wins[i] / games_played[i])
            for i in range(n)
        ]
        return RewardOutput(total=totals, errors=list(gated.errors) or [None] * n, components={
            "gate": list(gated.total),
            "eliminated": [float(not s) for s in survives],
            "wins": wins,
            "games": [float(g) for g in games_played],
        })

    def _gate_scores(self, references: Sequence[Image.Image], candidates: Sequence[Candidate],
                     context: Mapping[str, object]) -> RewardOutput:
        """The sibling `gate_from`'s output when a composite passed it, else the gate's own scores."""
        siblings = context.get(SIBLING_OUTPUTS)
        if self.gate_from is not None and isinstance(siblings, Mapping) and self.gate_from in siblings:
            gated = siblings[self.gate_from]
            if not isinstance(gated, RewardOutput) or len(gated.total) != len(candidates):
                raise ValueError(f"{self.name}: the output of {self.gate_from!r} (gate_from) must be a RewardOutput "
                                 f"with one total per candidate ({len(candidates)}), got {gated!r:.200}")
            return gated
        if self.gate is None:
            raise ValueError(f"{self.name}: no gate of its own and no output of {self.gate_from!r} (gate_from) in "
                             f"context[{SIBLING_OUTPUTS!r}]: score it inside a composite that has that entry first")
        return self.gate.score(references, candidates, **context)

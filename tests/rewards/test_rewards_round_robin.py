"""The round-robin tournament: a real gate reward, a real pairwise judge over HTTP on 127.0.0.1."""

from __future__ import annotations

import io
import json
import pickle
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate
from PIL import Image
from support.openai_server import FakeOpenAIServer, request_images

from widget2code.render import ErrorKind, RenderResult
from widget2code.rewards.base import Candidate, Reward, RewardOutput, candidate_image
from widget2code.rewards.round_robin import RoundRobinTournamentReward, group_indices
from widget2code.rewards.vlm_judge import VLMJudgeReward

SIZE = (16, 16)
BLUE = Image.new("RGB", SIZE, (30, 60, 200))
GREEN = Image.new("RGB", SIZE, (40, 180, 60))
YELLOW = Image.new("RGB", SIZE, (255, 255, 0))  # far from blue: below the 0.3 gate


def shade(base: Image.Image, offset: int) -> Image.Image:
    return Image.fromarray(np.clip(np.asarray(base, dtype=int) + offset, 0, 255).astype(np.uint8))


class PixelGate(Reward):
    """A small real gate for the tests: 1 - mean absolute pixel difference (the programmatic reward's job)."""

    name = "pixel_gate"

    def score(self, references: Sequence[Image.Image], candidates: Sequence[Candidate],
              **context: object) -> RewardOutput:
        totals, errors = [], []
        for reference, candidate in zip(references, candidates, strict=True):
            image, error = candidate_image(candidate)
            errors.append(error)
            totals.append(0.0 if image is None else
                          1 - float(np.abs(np.asarray(reference, float) - np.asarray(image, float)).mean()) / 255)
        return RewardOutput(total=totals, errors=errors)


def distance(a: bytes, b: bytes) -> float:
    pixels = [np.asarray(Image.open(io.BytesIO(x)).convert("RGB"), dtype=float) for x in (a, b)]
    return float(np.abs(pixels[0] - pixels[1]).mean())


def preferring_judge(body: dict) -> str:
    reference, first, second = request_images(body)
    return json.dumps({"winner": "A" if distance(reference, first) < distance(reference, second) else "B"})


def tournament(server: FakeOpenAIServer) -> RoundRobinTournamentReward:
    judge = VLMJudgeReward(mode="pairwise", base_url=server.base_url, model="vlm-test", backoff_s=0.01)
    return RoundRobinTournamentReward(gate=PixelGate(), judge=judge, gate_threshold=0.3)


def test_gate_eliminates_and_survivors_share_normalised_wins(openai_server):
    openai_server.responder = preferring_judge
    failed = RenderResult.failure(ErrorKind.RUNTIME, "boom")
    candidates = [shade(BLUE, 40), BLUE.copy(), YELLOW, failed, shade(BLUE, 90)]
    out = tournament(openai_server).score([BLUE] * 5, candidates, group_size=5)

    assert out.components["eliminated"] == [0.0, 0.0, 1.0, 1.0, 0.0]
    assert out.components["gate"][2] < 0.3 <= out.components["gate"][4]
    # Three survivors, two games each: the exact copy beats both, the 40-off shade beats the 90-off one.
    assert out.total == [0.5, 1.0, 0.0, 0.0, 0.0]
    assert out.components["wins"] == [1.0, 2.0, 0.0, 0.0, 0.0]
    assert out.errors[3] == "runtime"
    assert len(openai_server.requests) == 3 * 2  # three pairs, each in both orders


def test_position_bias_gives_every_survivor_a_half(openai_server):
    openai_server.responder = lambda body: '{"winner": "A"}'
    out = tournament(openai_server).score([BLUE] * 3, [BLUE, shade(BLUE, 30), shade(BLUE, 60)])
    assert out.total == [0.5, 0.5, 0.5]


def test_groups_are_judged_separately(openai_server):
    openai_server.responder = preferring_judge
    references = [BLUE, GREEN, BLUE, GREEN]
    candidates = [shade(BLUE, 50), GREEN, BLUE, shade(GREEN, 70)]
    out = tournament(openai_server).score(references, candidates, group_ids=[7, 3, 7, 3])
    assert out.total == [0.0, 1.0, 1.0, 0.0]
    for request in openai_server.requests:  # never a blue candidate against a green one
        reference, *pair = request_images(request.body)
        assert all(distance(reference, c) < 80 for c in pair)


def test_a_lone_survivor_gets_one_without_a_request(openai_server):
    out = tournament(openai_server).score([BLUE] * 3, [shade(BLUE, 20), None, YELLOW])
    assert out.total == [1.0, 0.0, 0.0]
    assert openai_server.requests == []


def test_group_structure_from_context_or_shared_references():
    blue_again = BLUE.copy()
    assert group_indices(4, [BLUE, GREEN, blue_again, GREEN], {}) == [[0, 2], [1, 3]]
    assert group_indices(4, [BLUE] * 4, {"group_size": 2}) == [[0, 1], [2, 3]]
    assert group_indices(3, [BLUE] * 3, {"group_ids": [1, 0, 1]}) == [[0, 2], [1]]
    with pytest.raises(ValueError, match="group_size"):
        group_indices(4, [BLUE] * 4, {"group_size": 3})
    with pytest.raises(ValueError, match="group_ids"):
        group_indices(4, [BLUE] * 4, {"group_ids": [0, 1]})


def test_needs_a_pairwise_judge_and_survives_pickling(openai_server):
    with pytest.raises(ValueError, match="pairwise"):
        RoundRobinTournamentReward(gate=PixelGate(), judge=VLMJudgeReward(mode="absolute"))
    openai_server.responder = preferring_judge
    reward = pickle.loads(pickle.dumps(tournament(openai_server)))
    assert reward([BLUE] * 2, [BLUE, shade(BLUE, 30)]) == [1.0, 0.0]
    assert reward.stats()["requests"] == 2


def test_config_gates_with_the_programmatic_reward_and_judges_pairwise(openai_server):
    conf = Path(__file__).resolve().parents[2] / "conf"
    with initialize_config_dir(str(conf), version_base="1.3"):
        cfg = compose(overrides=["+reward=tournament", f"reward.judge.base_url={openai_server.base_url}"])
    assert cfg.reward.gate._target_.endswith("programmatic.ProgrammaticReward")
    assert cfg.reward.gate_threshold == 0.3
    judge = instantiate(cfg.reward.judge)
    assert judge.mode == "pairwise"
    built = RoundRobinTournamentReward(gate=PixelGate(), judge=judge, gate_threshold=cfg.reward.gate_threshold)
    openai_server.responder = preferring_judge
    assert built([BLUE] * 2, [shade(BLUE, 50), BLUE]) == [0.0, 1.0]


def test_the_tournament_has_no_absolute_part_and_closes_its_judge(openai_server):
    openai_server.responder = preferring_judge
    with tournament(openai_server) as reward:
        assert reward.group_relative and reward.absolute() is None
        # Scored alone, a group of one gets 1.0 for anything past the gate: why it has no absolute part.
        assert reward([BLUE], [shade(BLUE, 90)], group_size=1) == [1.0]
        assert reward([BLUE] * 2, [BLUE, shade(BLUE, 30)]) == [1.0, 0.0]
        client = reward.judge.client
    assert client.closed
    assert reward.stats()["requests"] == 2


def test_gate_from_reads_a_sibling_output_or_falls_back(openai_server):
    openai_server.responder = preferring_judge
    judge = VLMJudgeReward(mode="pairwise", base_url=openai_server.base_url, model="vlm-test", backoff_s=0.01)
    with pytest.raises(ValueError, match="gate_from"):
        RoundRobinTournamentReward(gate=None, judge=judge)
    borrowing = RoundRobinTournamentReward(gate=None, judge=judge, gate_from="pixels")
    candidates = [BLUE, shade(BLUE, 30), YELLOW]
    sibling = PixelGate().score([BLUE] * 3, candidates)
    out = borrowing.score([BLUE] * 3, candidates, sibling_outputs={"pixels": sibling})
    assert out.components["gate"] == sibling.total and out.total == [1.0, 0.0, 0.0]
    with pytest.raises(ValueError, match="one total per candidate"):
        borrowing.score([BLUE] * 2, candidates[:2], sibling_outputs={"pixels": sibling})
    with pytest.raises(ValueError, match="no gate of its own"):
        borrowing.score([BLUE] * 3, candidates)
    both = RoundRobinTournamentReward(gate=PixelGate(), judge=judge, gate_from="pixels")
    assert both.score([BLUE] * 3, candidates).total == out.total  # scored alone: its own gate

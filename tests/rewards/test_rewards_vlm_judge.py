"""The VLM judge against a real OpenAI-compatible server on 127.0.0.1 that judges by looking at pixels."""

from __future__ import annotations

import io
import json
import pickle
import threading
from pathlib import Path

import numpy as np
import pytest
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate
from PIL import Image
from support.openai_server import FakeOpenAIServer, Fault, request_images, request_text

from widget2code.llm import LLMConfigError, LLMError
from widget2code.render import ErrorKind, RenderResult
from widget2code.rewards.vlm_judge import VLMJudgeReward, parse_score, parse_winner

CONF_DIR = Path(__file__).resolve().parents[2] / "conf"
REFERENCE = Image.new("RGB", (24, 16), (40, 90, 200))
NEAR = Image.new("RGB", (24, 16), (50, 95, 190))  # close to the reference
FAR = Image.new("RGB", (24, 16), (230, 200, 20))  # nothing like it


def as_render(image: Image.Image) -> RenderResult:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return RenderResult(ok=True, png=buffer.getvalue(), width=image.width, height=image.height)


def distance(a: bytes, b: bytes) -> float:
    """Mean absolute RGB difference in [0, 1] between two encoded images."""
    pixels = [np.asarray(Image.open(io.BytesIO(x)).convert("RGB"), dtype=float) for x in (a, b)]
    return float(np.abs(pixels[0] - pixels[1]).mean() / 255)


def scoring_judge(body: dict) -> str:
    """An honest absolute judge: 10 for identical pictures, less the further the candidate is."""
    reference, candidate = request_images(body)
    return json.dumps({"score": round(10 * (1 - distance(reference, candidate))), "reason": "pixels"})


def preferring_judge(body: dict) -> str:
    """An honest pairwise judge: picks whichever candidate is closer to the reference."""
    reference, first, second = request_images(body)
    return json.dumps({"winner": "A" if distance(reference, first) < distance(reference, second) else "B"})


def judge_for(server: FakeOpenAIServer, **settings: object) -> VLMJudgeReward:
    settings = {"model": "vlm-test", "backoff_s": 0.01, "retries": 2, "timeout_s": 5.0, **settings}
    return VLMJudgeReward(base_url=server.base_url, **settings)


def test_absolute_judge_sends_both_images_and_ranks_by_the_answers(openai_server):
    openai_server.responder = scoring_judge
    judge = judge_for(openai_server)
    out = judge.score([REFERENCE] * 3, [as_render(NEAR), FAR, as_render(REFERENCE)])

    assert openai_server.shape_errors == []
    assert len(openai_server.requests) == 3
    for request in openai_server.requests:
        assert request.body["model"] == "vlm-test" and request.body["temperature"] == 0.0
        assert request.body["messages"][0]["role"] == "system"
        assert "score" in request_text(request.body)
    sent = {tuple(np.asarray(Image.open(io.BytesIO(c)).convert("RGB"))[0, 0])
            for r in openai_server.requests for c in request_images(r.body)}
    assert sent == {(40, 90, 200), (50, 95, 190), (230, 200, 20)}
    expected = [round(10 * (1 - distance(*map(to_png, (REFERENCE, c))))) / 10 for c in (NEAR, FAR, REFERENCE)]
    assert out.total == pytest.approx(expected)
    assert out.total[2] == 1.0 and out.total[0] > out.total[1]
    assert out.errors == [None, None, None]


def to_png(image: Image.Image) -> bytes:
    return as_render(image).png


def test_failed_renders_score_zero_without_a_request(openai_server):
    openai_server.responder = scoring_judge
    judge = judge_for(openai_server)
    failed = RenderResult.failure(ErrorKind.SYNTAX, "Unexpected token")
    out = judge.score([REFERENCE] * 3, [failed, None, NEAR])
    assert out.total[:2] == [0.0, 0.0] and out.total[2] > 0.5
    assert out.errors == ["syntax", "missing", None]
    assert len(openai_server.requests) == 1


def test_malformed_answer_is_asked_again_with_a_correction(openai_server):
    openai_server.responder = scoring_judge
    openai_server.fail(Fault.answer("I would give it a seven."), Fault.answer('{"score": "high"}'))
    judge = judge_for(openai_server, parse_retries=2)
    [total] = judge(([REFERENCE]), [NEAR])

    assert total == round(10 * (1 - distance(to_png(REFERENCE), to_png(NEAR)))) / 10
    assert len(openai_server.requests) == 3
    retry = openai_server.requests[2].body["messages"]
    assert [m["role"] for m in retry] == ["system", "user", "assistant", "user", "assistant", "user"]
    assert retry[2]["content"] == "I would give it a seven." and "not JSON" in retry[3]["content"]
    assert judge.stats()["malformed"] == 2 and judge.stats()["neutral"] == 0


def test_answers_that_stay_malformed_become_neutral_and_are_not_cached(openai_server):
    openai_server.responder = lambda body: '{"score": 11}'  # out of range, every time
    judge = judge_for(openai_server, parse_retries=1)
    out = judge.score([REFERENCE], [NEAR])
    assert out.total == [0.5] and out.components["neutral"] == [1.0]
    assert len(openai_server.requests) == 2
    judge.score([REFERENCE], [NEAR])
    assert len(openai_server.requests) == 4  # asked again: a neutral fallback is not a judgment
    assert judge.stats()["neutral"] == 2


def test_cache_answers_repeats_in_memory_on_disk_and_across_pickling(openai_server, tmp_path):
    openai_server.responder = scoring_judge
    judge = judge_for(openai_server, cache_dir=str(tmp_path))
    first = judge.score([REFERENCE] * 3, [NEAR, FAR, NEAR])  # the duplicate is asked once
    assert len(openai_server.requests) == 2

    assert judge.score([REFERENCE] * 2, [FAR, NEAR]).total == [first.total[1], first.total[0]]
    revived = pickle.loads(pickle.dumps(judge))
    fresh = judge_for(openai_server, cache_dir=str(tmp_path))
    assert revived.score([REFERENCE], [NEAR]).total == fresh.score([REFERENCE], [NEAR]).total == [first.total[0]]
    assert len(openai_server.requests) == 2
    assert fresh.stats()["cache_hits"] == 1 and fresh.stats()["requests"] == 0

    files = sorted(tmp_path.rglob("*.json"))
    assert len(files) == 2 and all("score" in json.loads(f.read_text()) for f in files)
    assert not list(tmp_path.rglob("*.tmp"))

    judge_for(openai_server, cache_dir=str(tmp_path), model="another-model").score([REFERENCE], [NEAR])
    assert len(openai_server.requests) == 3  # the model is part of the key


def test_concurrent_judges_share_one_cache_dir_safely(openai_server, tmp_path):
    openai_server.responder = scoring_judge
    shades = [Image.new("RGB", REFERENCE.size, (i * 20, 100, 100)) for i in range(6)]
    results, errors = [], []

    def run() -> None:
        try:
            results.append(judge_for(openai_server, cache_dir=str(tmp_path)).score([REFERENCE] * 6, shades).total)
        except Exception as err:  # surfaced below
            errors.append(err)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and results[0] == results[1] == results[2]
    assert len(list(tmp_path.rglob("*.json"))) == 6
    before = len(openai_server.requests)
    judge_for(openai_server, cache_dir=str(tmp_path)).score([REFERENCE] * 6, shades)
    assert len(openai_server.requests) == before


def test_token_and_cost_counters(openai_server):
    openai_server.responder = scoring_judge
    judge = judge_for(openai_server, price_per_1k_input=1.0, price_per_1k_output=4.0)
    out = judge.score([REFERENCE] * 2, [NEAR, FAR])
    stats = judge.stats()
    sent = openai_server.usage_sent
    assert stats["requests"] == 2
    assert stats["input_tokens"] == sent["prompt_tokens"] == sum(out.components["input_tokens"])
    assert stats["output_tokens"] == sent["completion_tokens"] == sum(out.components["output_tokens"])
    assert stats["cost_usd"] == pytest.approx(sum(out.components["cost_usd"]))
    assert stats["cost_usd"] == pytest.approx((sent["prompt_tokens"] + 4 * sent["completion_tokens"]) / 1000)


def test_transport_failures_raise_or_count_as_neutral(openai_server):
    openai_server.fail(*[Fault.server_error(502)] * 3)
    with pytest.raises(LLMError, match=openai_server.base_url):
        judge_for(openai_server, retries=2).score([REFERENCE], [NEAR])
    openai_server.fail(*[Fault.server_error(502)] * 3)
    lenient = judge_for(openai_server, retries=2, on_error="neutral")
    assert lenient.score([REFERENCE], [NEAR]).total == [0.5]
    assert lenient.stats()["failures"] == 1 and lenient.stats()["neutral"] == 1


def test_missing_key_fails_on_first_use_not_on_construction(monkeypatch):
    monkeypatch.delenv("W2C_TEST_NO_KEY", raising=False)
    judge = VLMJudgeReward(model="gpt-4o-mini", api_key_env="W2C_TEST_NO_KEY")
    with pytest.raises(LLMConfigError, match="W2C_TEST_NO_KEY"):
        judge.score([REFERENCE], [NEAR])


def test_pairwise_position_bias_cancels_to_a_tie(openai_server):
    openai_server.responder = lambda body: '{"winner": "A", "reason": "first is best"}'
    judge = judge_for(openai_server, mode="pairwise")
    [verdict] = judge.compare_many([(REFERENCE, NEAR, FAR)])
    assert (verdict.first, verdict.second, verdict.winner) == ("A", "B", "tie")
    first, second = (request_images(r.body)[1:] for r in openai_server.requests)
    assert first == second[::-1]  # the same two candidates, asked in both orders
    assert judge.score([REFERENCE], [NEAR], opponents=[FAR]).total == [0.5]


def test_pairwise_true_preference_wins_in_both_orders(openai_server):
    openai_server.responder = preferring_judge
    judge = judge_for(openai_server, mode="pairwise")
    verdicts = judge.compare_many([(REFERENCE, FAR, NEAR), (REFERENCE, NEAR, FAR)])
    assert [v.winner for v in verdicts] == ["B", "A"]
    assert len(openai_server.requests) == 2  # the second triple is the first's two orders, cached
    assert judge.score([REFERENCE] * 2, [NEAR, FAR], opponents=[FAR, NEAR]).total == [1.0, 0.0]


def test_pairwise_shortcuts_need_no_request(openai_server):
    judge = judge_for(openai_server, mode="pairwise")
    failed = RenderResult.failure(ErrorKind.RUNTIME, "boom")
    verdicts = judge.compare_many([(REFERENCE, NEAR, as_render(NEAR)), (REFERENCE, failed, FAR),
                                   (REFERENCE, FAR, None), (REFERENCE, failed, None)])
    assert [v.winner for v in verdicts] == ["tie", "B", "A", "tie"]
    assert openai_server.requests == []
    with pytest.raises(ValueError, match="opponents"):
        judge.score([REFERENCE], [NEAR])


def test_strict_parsers():
    assert parse_score(' ```json\n{"score": 7, "reason": "close"}\n``` ') == {"score": 7.0, "reason": "close"}
    assert parse_winner('{"winner": "b"}')["winner"] == "B"
    for bad in ["7", '{"score": true}', '{"score": NaN}', '{"score": -1}', "[1]", '{"reason": "x"}']:
        with pytest.raises(ValueError):
            parse_score(bad)
    for bad in ['{"winner": "C"}', '{"winner": 1}', "A"]:
        with pytest.raises(ValueError):
            parse_winner(bad)


def test_bad_configuration_is_rejected():
    with pytest.raises(ValueError, match="mode"):
        VLMJudgeReward(mode="ranking")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="version 'v999'"):
        VLMJudgeReward(prompt_version="v999")


@pytest.mark.parametrize(("config", "mode"), [("vlm_judge", "absolute"), ("vlm_judge_pairwise", "pairwise")])
def test_configs_build_a_picklable_judge(config, mode, openai_server):
    with initialize_config_dir(str(CONF_DIR), version_base="1.3"):
        cfg = compose(overrides=[f"+reward={config}", f"reward.base_url={openai_server.base_url}",
                                 "reward.cache_dir=null"])
    judge = pickle.loads(pickle.dumps(instantiate(cfg.reward)))
    assert isinstance(judge, VLMJudgeReward) and judge.mode == mode and judge.prompt.version == "v1"
    openai_server.responder = scoring_judge if mode == "absolute" else preferring_judge
    if mode == "absolute":
        assert judge([REFERENCE], [FAR]) == [round(10 * (1 - distance(to_png(REFERENCE), to_png(FAR)))) / 10]
    else:
        assert judge([REFERENCE], [NEAR], opponents=[FAR]) == [1.0]


def test_pairwise_is_group_relative_absolute_is_itself():
    absolute = VLMJudgeReward(mode="absolute")
    assert not absolute.group_relative and absolute.absolute() is absolute
    pairwise = VLMJudgeReward(mode="pairwise")
    assert pairwise.group_relative and pairwise.absolute() is None


def test_close_closes_the_client_keeps_the_counts_and_reopens(openai_server):
    openai_server.responder = scoring_judge
    with judge_for(openai_server) as judge:
        judge.score([REFERENCE], [NEAR])
        client = judge.client
    assert client.closed  # leaving the with-block closed the HTTP client
    assert judge.stats()["requests"] == 1
    assert judge.score([REFERENCE], [FAR]).total[0] < 0.5  # a new client, made on first use
    assert judge.stats()["requests"] == 2 and not judge.client.closed
    judge.close()

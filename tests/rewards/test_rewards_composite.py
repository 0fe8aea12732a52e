"""The weighted composite: breakdown, group aggregation, context pass-through, Hydra configs."""

from __future__ import annotations

import io
import json
import pickle
from collections import Counter
from pathlib import Path

import numpy as np
import psutil
import pytest
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate
from PIL import Image, ImageDraw, ImageFilter
from reward_widgets import mix, stat_card
from support.openai_server import request_images

from widget2code.render import ErrorKind, RenderResult
from widget2code.rewards import metrics
from widget2code.rewards import programmatic as programmatic_module
from widget2code.rewards.clip import ClipSimilarityReward
from widget2code.rewards.composite import CompositeReward, CompositeRewardError, group_index, group_zscore
from widget2code.rewards.format import FormatReward
from widget2code.rewards.programmatic import ProgrammaticReward
from widget2code.rewards.round_robin import RoundRobinTournamentReward
from widget2code.rewards.vlm_judge import VLMJudgeReward
from widget2code.task import format_completion

CONF_DIR = Path(__file__).resolve().parents[2] / "conf"
GOOD_TSX = "export default function W() { return <div className='p-2'>Hi</div>; }"


def widget(fill: str = "#2563eb", dx: int = 0) -> Image.Image:
    img = Image.new("RGB", (96, 64), "white")
    draw = ImageDraw.Draw(img)
    draw.rounded_rectangle((4, 4, 91, 59), 8, fill="#0f172a")
    draw.rectangle((12 + dx, 12, 50 + dx, 24), fill=fill)
    return img


@pytest.fixture(scope="module")
def parts() -> tuple[ProgrammaticReward, ClipSimilarityReward]:
    return (ProgrammaticReward(allow_random_backbone=True, device="cpu"),
            ClipSimilarityReward(model_name_or_path=None, tiny_random=True, device="cpu"))


def test_weighted_sum_with_prefixed_breakdown(parts) -> None:
    programmatic, clip = parts
    composite = CompositeReward({"prog": {"reward": programmatic, "weight": 3}, "clip": {"reward": clip, "weight": 1}})
    assert composite.weights == {"prog": 0.75, "clip": 0.25}
    ref = widget()
    cands = [ref, widget("#dc2626"), widget(dx=20), None]
    out = composite.score([ref] * 4, cands)
    prog, cl = programmatic.score([ref] * 4, cands), clip.score([ref] * 4, cands)
    expected = [0.75 * p + 0.25 * c for p, c in zip(prog.total, cl.total, strict=True)]
    assert out.total == pytest.approx(expected, abs=1e-9)
    assert out.total[0] == pytest.approx(1.0, abs=1e-6) and out.total[3] == 0.0
    assert out.components["prog"] == pytest.approx(prog.total) and out.components["clip"] == pytest.approx(cl.total)
    assert out.components["prog/layout"] == pytest.approx(prog.components["layout"])
    assert out.components["clip/clip_cosine"] == pytest.approx(cl.components["clip_cosine"])
    assert out.errors == [None, None, None, "missing"]
    assert all(0.0 <= t <= 1.0 for t in out.total)


def test_list_spec_and_bad_specs(parts) -> None:
    programmatic, clip = parts
    composite = CompositeReward([{"reward": programmatic, "weight": 1.0}, {"name": "c", "reward": clip}])
    assert list(composite.rewards) == ["programmatic", "c"]
    with pytest.raises(CompositeRewardError, match="must be a Reward"):
        CompositeReward({"x": {"weight": 1.0}})
    with pytest.raises(CompositeRewardError, match="aggregation"):
        CompositeReward({"p": programmatic}, aggregation="mean")
    with pytest.raises(CompositeRewardError, match="positive sum"):
        CompositeReward({"p": {"reward": programmatic, "weight": 0.0}})
    with pytest.raises(CompositeRewardError, match="named 'c'"):
        CompositeReward([{"name": "c", "reward": clip}, {"name": "c", "reward": programmatic}])


def test_normalize_then_sum_z_scores_each_reward_within_its_group(parts) -> None:
    programmatic, clip = parts
    spec = {"prog": {"reward": programmatic, "weight": 0.5}, "clip": {"reward": clip, "weight": 0.5}}
    norm = CompositeReward(spec, aggregation="normalize_then_sum")
    raw = CompositeReward(spec, aggregation="sum_then_normalize")
    ref_a, ref_b = widget(), widget("#16a34a")
    refs = [ref_a] * 3 + [ref_b] * 3
    cands = [ref_a, widget("#dc2626"), widget(dx=25), ref_b, ref_b.filter(ImageFilter.GaussianBlur(2)), None]
    out = norm.score(refs, cands, group_ids=["a", "a", "a", "b", "b", "b"])
    totals = np.array(out.total)
    assert abs(totals[:3].sum()) < 1e-6 and abs(totals[3:].sum()) < 1e-6  # centred in every group
    for key in ("prog", "clip"):
        z = np.array(out.components[f"{key}/z"])
        assert np.std(z[:3]) == pytest.approx(1.0, abs=1e-3)  # every reward gets the same spread
        assert z.tolist() == pytest.approx(group_zscore(np.array(out.components[key]), np.array([0, 0, 0, 1, 1, 1])).tolist())
    assert totals[0] == totals[:3].max() and totals[3] == totals[3:].max()  # the exact match leads its group
    # Without groups, normalize_then_sum gives the raw weighted sum in [0, 1]; so does the raw mode with groups.
    raw_sum = [0.5 * p + 0.5 * c for p, c in zip(out.components["prog"], out.components["clip"], strict=True)]
    assert norm.score(refs, cands).total == pytest.approx(raw_sum, abs=1e-9)
    raw_grouped = raw.score(refs, cands, group_size=3)
    assert raw_grouped.total == pytest.approx(raw_sum, abs=1e-9) and "prog/z" not in raw_grouped.components
    constant = norm.score([ref_a] * 2, [ref_a, ref_a.copy()], group_size=2)
    assert constant.total == [0.0, 0.0]
    with pytest.raises(CompositeRewardError, match="group_ids"):
        norm.score(refs, cands, group_ids=["a", "b"])
    with pytest.raises(CompositeRewardError, match="group_size"):
        norm.score(refs, cands, group_size=4)


def test_group_index_from_ids_or_size() -> None:
    assert group_index(4, {"group_ids": ["x", "y", "x", "y"]}).tolist() == [0, 1, 0, 1]
    assert group_index(4, {"group_size": 2}).tolist() == [0, 0, 1, 1]
    assert group_index(4, {}) is None


def test_context_reaches_sub_rewards_clip_format_config() -> None:
    """conf/reward/composite_clip_format.yaml: the format reward reads context["completions"]."""
    with initialize_config_dir(version_base=None, config_dir=str(CONF_DIR)):
        cfg = compose(overrides=["+reward=composite_clip_format", "reward.rewards.clip.reward.tiny_random=true",
                                 "reward.rewards.clip.reward.device=cpu"])
    composite = instantiate(cfg.reward)
    assert composite.weights == pytest.approx({"clip": 0.8, "format": 0.2})
    ref = widget()
    completions = [format_completion("plan", GOOD_TSX), "no tags, no code"]
    out = composite.score([ref, ref], [ref, ref.copy()], completions=completions)
    assert out.components["format"] == pytest.approx([1.0, 0.0])
    assert out.total == pytest.approx([1.0, 0.8], abs=1e-6)
    clone = pickle.loads(pickle.dumps(composite))
    assert clone.score([ref, ref], [ref, ref.copy()], completions=completions).total == pytest.approx(out.total)


@pytest.mark.parametrize("name", ["programmatic", "clip", "composite_widgetanchor", "composite_widgetanchor_absolute",
                                  "composite_clip_format"])
def test_configs_compose_and_instantiate(name) -> None:
    with initialize_config_dir(version_base=None, config_dir=str(CONF_DIR)):
        cfg = compose(overrides=[f"+reward={name}"])
    reward = instantiate(cfg.reward)  # weights load lazily: nothing is downloaded here
    assert callable(reward)
    if name == "programmatic":
        assert reward.weights["palette"] == pytest.approx(0.20 / 0.95)  # WidgetAnchor's blend, normalised
    if name == "composite_widgetanchor":  # the seed's hybrid: a round-robin tournament
        assert reward.weights == pytest.approx({"programmatic": 0.4, "tournament": 0.6})
        assert reward.rewards["tournament"].judge.mode == "pairwise"
        assert reward.rewards["tournament"].gate_threshold == pytest.approx(0.3)
    if name == "composite_widgetanchor_absolute":
        assert reward.weights == pytest.approx({"programmatic": 0.4, "vlm_judge": 0.6})
        assert reward.rewards["vlm_judge"].mode == "absolute"


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def pixel_judge(body: dict) -> str:
    """A deterministic stand-in judge: 10 minus the mean pixel difference, scaled."""
    ref, cand = (np.asarray(Image.open(io.BytesIO(b)).convert("RGB"), dtype=float) for b in request_images(body))
    if ref.shape != cand.shape:
        return json.dumps({"score": 2, "reason": "size differs"})
    return json.dumps({"score": round(10 * max(0.0, 1 - 8 * np.abs(ref - cand).mean() / 255)), "reason": "px"})


@pytest.mark.browser
def test_widgetanchor_composite_ranks_the_true_render_first(renderer, openai_server) -> None:
    openai_server.responder = pixel_judge
    with initialize_config_dir(version_base=None, config_dir=str(CONF_DIR)):
        cfg = compose(overrides=[
            "+reward=composite_widgetanchor_absolute",
            "reward.rewards.programmatic.reward.allow_random_backbone=true",
            "reward.rewards.programmatic.reward.device=cpu",
            f"reward.rewards.vlm_judge.reward.base_url={openai_server.base_url}",
            "reward.rewards.vlm_judge.reward.cache_dir=null",
            "reward.rewards.vlm_judge.reward.model=judge-test",
        ])
    composite = instantiate(cfg.reward)
    sources = [stat_card(), stat_card(), stat_card(hide=2), stat_card(dx=20),
               stat_card(card=mix("#1e293b", "#b45309", 0.6))]
    results = renderer.render_many(sources)
    reference, truth, *degraded = results
    blurred = RenderResult(ok=True, png=_png(truth.image.filter(ImageFilter.GaussianBlur(2))),
                           width=truth.width, height=truth.height)
    failed = RenderResult.failure(ErrorKind.RUNTIME, "boom")
    candidates = [truth, *degraded, blurred, failed]
    out = composite.score([reference.image] * len(candidates), candidates)
    assert out.total[0] == pytest.approx(1.0, abs=1e-6)
    assert all(t < out.total[0] - 1e-3 for t in out.total[1:])
    assert out.total[-1] == 0.0 and out.errors[-1] == "runtime"
    assert {"programmatic", "vlm_judge", "programmatic/ssim", "programmatic/layout"} <= set(out.components)
    assert len(openai_server.requests) == len(candidates) - 1  # the failed render is never sent


def widgetanchor(server, *overrides: str) -> CompositeReward:
    """conf/reward/composite_widgetanchor.yaml with its pairwise judge served on 127.0.0.1."""
    with initialize_config_dir(version_base=None, config_dir=str(CONF_DIR)):
        cfg = compose(overrides=[
            "+reward=composite_widgetanchor",
            "reward.rewards.programmatic.reward.allow_random_backbone=true",
            "reward.rewards.programmatic.reward.device=cpu",  # the tournament's own gate follows these
            f"reward.rewards.tournament.reward.judge.base_url={server.base_url}",
            "reward.rewards.tournament.reward.judge.cache_dir=null",
            "reward.rewards.tournament.reward.judge.model=judge-test", *overrides])
    return instantiate(cfg.reward)


def closer_judge(body: dict) -> str:
    """A deterministic pairwise judge: the candidate with the smaller mean pixel difference wins."""
    ref, first, second = (np.asarray(Image.open(io.BytesIO(b)).convert("RGB"), dtype=float)
                          for b in request_images(body))
    return json.dumps({"winner": "A" if np.abs(ref - first).mean() < np.abs(ref - second).mean() else "B"})


def test_a_tournament_composite_validates_with_its_programmatic_part(openai_server) -> None:
    openai_server.responder = closer_judge
    composite = widgetanchor(openai_server)
    assert composite.group_relative
    absolute = composite.absolute()
    assert isinstance(absolute, CompositeReward) and absolute.name == "widgetanchor/absolute"
    assert absolute.rewards == {"programmatic": composite.rewards["programmatic"]}
    assert absolute.weights == {"programmatic": 1.0} and not absolute.group_relative
    assert absolute.absolute() is absolute
    ref = widget()
    near, far = widget(dx=6), widget("#dc2626", dx=30)  # both pass the 0.3 gate
    # Greedy validation scores groups of one: the whole reward gives every candidate past the gate the
    # tournament's 1.0, so 60 % of it is constant; the absolute part is the programmatic score alone.
    whole = [composite.score([ref], [c], group_size=1) for c in (near, far)]
    assert [w.components["tournament"] for w in whole] == [[1.0], [1.0]]
    assert openai_server.requests == []  # a lone candidate is never judged
    parts = [absolute.score([ref], [c], group_size=1) for c in (near, far)]
    programmatic = composite.rewards["programmatic"].score([ref, ref], [near, far]).total
    assert [p.total[0] for p in parts] == pytest.approx(programmatic, abs=1e-9)
    assert programmatic[1] < programmatic[0] < 1.0
    assert [w.total[0] for w in whole] == pytest.approx([0.4 * p + 0.6 for p in programmatic], abs=1e-9)
    assert parts[0].components["programmatic/ssim"] == whole[0].components["programmatic/ssim"]


def test_absolute_parts_are_reweighted_and_z_scores_dropped(parts, openai_server) -> None:
    programmatic, clip = parts
    assert CompositeReward({"p": programmatic, "c": clip}).absolute().name == "composite"  # itself
    tournament = RoundRobinTournamentReward(programmatic, VLMJudgeReward(mode="pairwise", base_url=openai_server.base_url))
    nested = CompositeReward({"anchor": {"reward": CompositeReward({"p": {"reward": programmatic, "weight": 0.4},
                                                                     "t": {"reward": tournament, "weight": 0.6}}),
                                         "weight": 0.5},
                              "c": {"reward": clip, "weight": 0.25}, "t": {"reward": tournament, "weight": 0.25}},
                             name="mix")
    absolute = nested.absolute()
    assert absolute.name == "mix/absolute" and absolute.weights == pytest.approx({"anchor": 2 / 3, "c": 1 / 3})
    assert absolute.rewards["anchor"].rewards == {"p": programmatic}
    assert CompositeReward({"t": tournament}).absolute() is None
    # normalize_then_sum z-scores within groups, which a group of one turns into 0: its absolute part is
    # the raw weighted sum.
    norm = CompositeReward({"p": programmatic, "c": clip}, aggregation="normalize_then_sum", name="norm")
    assert norm.group_relative
    ref = widget()
    assert norm.score([ref], [widget(dx=6)], group_size=1).total == [0.0]
    raw = norm.absolute()
    assert raw.aggregation == "sum_then_normalize" and raw.rewards == norm.rewards
    expected = 0.5 * programmatic([ref], [widget(dx=6)])[0] + 0.5 * clip([ref], [widget(dx=6)])[0]
    assert raw.score([ref], [widget(dx=6)], group_size=1).total == pytest.approx([expected], abs=1e-9)


def node_processes() -> set[int]:
    return {p.pid for p in psutil.Process().children(recursive=True) if "node" in p.name().lower()}


class FailingClose(ProgrammaticReward):
    """A real programmatic reward whose close fails, to show that the composite still closes the rest."""

    def close(self) -> None:
        raise RuntimeError("close failed")


def test_close_stops_the_format_rewards_compile_worker(parts) -> None:
    programmatic, _ = parts
    before = node_processes()
    composite = CompositeReward({"programmatic": programmatic, "format": FormatReward()})
    ref = widget()
    with composite:
        assert composite.score([ref], [ref], completions=[format_completion("plan", GOOD_TSX)]).total == [1.0]
        started = node_processes() - before
        assert started  # the format reward's Node compile worker
    assert not {pid for pid in started if psutil.pid_exists(pid)}
    failing = CompositeReward({"bad": FailingClose(weights={"ssim": 1.0}), "format": FormatReward()})
    failing.score([ref], [ref], completions=[format_completion("plan", GOOD_TSX)])
    started = node_processes() - before
    assert started
    with pytest.raises(RuntimeError, match="close failed"):
        failing.close()
    assert not {pid for pid in started if psutil.pid_exists(pid)}


def test_widgetanchor_computes_each_metric_once_per_call(openai_server, monkeypatch) -> None:
    """The tournament gates on the programmatic entry's totals instead of computing every metric again."""
    openai_server.responder = closer_judge
    calls: Counter[str] = Counter()

    def counted(name: str, fn):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return fn(*args, **kwargs)
        return wrapper

    for name in ("ssim", "palette", "contrast", "polarity", "layout"):
        monkeypatch.setattr(metrics, name, counted(name, getattr(metrics, name)))
    monkeypatch.setattr(programmatic_module, "lpips_similarity", counted("lpips", programmatic_module.lpips_similarity))
    monkeypatch.setattr(ProgrammaticReward, "score", counted("score", ProgrammaticReward.score))
    composite = widgetanchor(openai_server)
    tournament = composite.rewards["tournament"]
    assert tournament.gate_from == "programmatic" and tournament.depends_on == ("programmatic",)
    ref = widget()
    candidates = [widget(dx=6), ref.copy(), widget("#dc2626", dx=30), None]
    out = composite.score([ref] * 4, candidates, group_size=4)
    assert calls == {name: 1 for name in ("score", "ssim", "lpips", "palette", "contrast", "polarity", "layout")}
    assert out.components["tournament/gate"] == out.components["programmatic"]
    assert out.components["tournament/games"] == [2.0, 2.0, 2.0, 0.0]  # three survivors judged
    assert out.components["tournament"] == [0.5, 1.0, 0.0, 0.0]
    # Scored alone, the tournament falls back to its own gate: the same programmatic config.
    calls.clear()
    alone = tournament.score([ref] * 4, candidates, group_size=4)
    assert calls["score"] == 1 and calls["ssim"] == 1
    assert alone.components["gate"] == pytest.approx(out.components["programmatic"], abs=1e-9)
    assert alone.total == out.components["tournament"]


def test_an_entry_must_come_after_the_sibling_it_reads(openai_server, parts) -> None:
    tournament = widgetanchor(openai_server).rewards["tournament"]
    programmatic, clip = parts
    with pytest.raises(CompositeRewardError, match=r"'tournament' reads the output of \['programmatic'\]"):
        CompositeReward({"tournament": tournament, "programmatic": programmatic})
    with pytest.raises(CompositeRewardError, match="earlier entries"):
        CompositeReward({"clip": clip, "tournament": tournament})

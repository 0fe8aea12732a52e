"""The programmatic reward and its six metrics, on real renders of small widgets.

LPIPS runs with a random (seeded) backbone here: the real one cannot be downloaded on this machine.
Its linear heads are the real ones from the `lpips` package, and its loading path is tested with a
checkpoint file in torchvision's format.
"""

from __future__ import annotations

import itertools
import pickle

import numpy as np
import pytest
import torch
import torchvision
from PIL import Image, ImageDraw, ImageFilter
from reward_widgets import mix, stat_card, task_list

from widget2code.render import ErrorKind, RenderResult
from widget2code.rewards.images import prepare_pairs
from widget2code.rewards.lpips_net import (
    LpipsWeightsMissing,
    default_backbone_path,
    load_lpips,
    lpips_similarity,
)
from widget2code.rewards.programmatic import DEFAULT_WEIGHTS, ProgrammaticReward

METRICS = list(DEFAULT_WEIGHTS)


@pytest.fixture(scope="module")
def reward() -> ProgrammaticReward:
    return ProgrammaticReward(allow_random_backbone=True, device="cpu")


# name -> sources of increasing perturbation (the first is the true widget), rendered once per module.
SERIES = {
    "colour": [stat_card(card=mix("#1e293b", "#b45309", t)) for t in (0.0, 0.15, 0.4, 1.0)],
    "translation": [stat_card(dx=d) for d in (0, 3, 8, 20)],
    "removal": [stat_card(hide=h) for h in (0, 1, 2, 3)],
    "list_removal": [task_list(hide=h) for h in (0, 1, 2, 3)],
}
BLUR_RADII = (0.0, 0.6, 1.5, 3.0)
# Which metrics must respond to which perturbation (others may legitimately stay flat, e.g. contrast
# under a translation, or layout under a recolouring that keeps every box in place).
EXPECTED = {
    "colour": ["ssim", "lpips", "palette", "contrast", "polarity"],
    "translation": ["ssim", "lpips", "layout"],
    "removal": ["ssim", "lpips", "palette", "layout"],
    "list_removal": ["ssim", "lpips", "palette", "contrast", "layout"],
    "blur": METRICS,
    "list_blur": ["ssim", "lpips", "palette", "contrast", "layout"],
}


@pytest.fixture(scope="module")
def renders(renderer) -> dict[str, list[Image.Image]]:
    sources = [src for series in SERIES.values() for src in series]
    results = renderer.render_many(sources)
    assert all(r.ok for r in results), [r.summary() for r in results if not r.ok]
    images = iter(r.image for r in results)
    out = {name: [next(images) for _ in series] for name, series in SERIES.items()}
    out["blur"] = [out["removal"][0].filter(ImageFilter.GaussianBlur(r)) for r in BLUR_RADII]
    out["list_blur"] = [out["list_removal"][0].filter(ImageFilter.GaussianBlur(r)) for r in BLUR_RADII]
    return out


@pytest.mark.browser
def test_identical_renders_score_exactly_one_on_every_metric(reward, renders, renderer) -> None:
    again = renderer.render(SERIES["removal"][0])  # a second render of the same source
    ref = renders["removal"][0]
    out = reward.score([ref, ref], [again, ref.copy()])
    for name in [*METRICS, "total"]:
        values = out.total if name == "total" else out.components[name]
        assert values == pytest.approx([1.0, 1.0], abs=1e-6), name


@pytest.mark.browser
@pytest.mark.parametrize("series", list(EXPECTED))
def test_metrics_fall_as_the_perturbation_grows(reward, renders, series) -> None:
    images = renders[series]
    out = reward.score([images[0]] * len(images), images)
    for name in [*EXPECTED[series], "total"]:
        values = out.total if name == "total" else out.components[name]
        assert values[0] == pytest.approx(1.0, abs=1e-6)
        assert all(b <= a + 1e-9 for a, b in itertools.pairwise(values)), (name, values)
        assert values[-1] < values[0] - 1e-3, (name, values)


@pytest.mark.browser
def test_batched_scores_equal_one_by_one(reward, renders) -> None:
    images = renders["translation"][1:3] + renders["list_removal"][2:3]
    refs = [renders["translation"][0]] * 2 + [renders["list_removal"][0]]
    batched = reward.score(refs, images)
    for i, (ref, img) in enumerate(zip(refs, images, strict=True)):
        single = reward.score([ref], [img])
        assert single.total[0] == pytest.approx(batched.total[i], abs=1e-5)
        for name in METRICS:
            assert single.components[name][0] == pytest.approx(batched.components[name][i], abs=1e-5), name


@pytest.mark.browser
def test_failed_render_scores_zero_with_its_error_kind(reward, renderer, renders) -> None:
    broken = renderer.render("export default function W() { return <div> }")
    assert not broken.ok
    ref = renders["removal"][0]
    out = reward.score([ref] * 3, [broken, None, RenderResult.failure(ErrorKind.TIMEOUT, "slow")])
    assert out.total == [0.0, 0.0, 0.0]
    assert out.errors == ["syntax", "missing", "timeout"]
    assert all(out.components[m] == [0.0, 0.0, 0.0] for m in METRICS)


def _widget(fill: str = "#2563eb") -> Image.Image:
    img = Image.new("RGB", (90, 60), "white")
    draw = ImageDraw.Draw(img)
    draw.rounded_rectangle((6, 6, 84, 54), 8, fill="#0f172a")
    draw.rectangle((14, 14, 60, 24), fill=fill)
    return img


def test_rgba_grayscale_tiny_and_flat_inputs_are_handled(reward) -> None:
    rgb = _widget()
    rgba = rgb.convert("RGBA")
    transparent_bg = Image.new("RGBA", rgb.size, (0, 0, 0, 0))
    transparent_bg.paste(rgb.crop((6, 6, 85, 55)), (6, 6))  # the same widget on a transparent page
    flat = Image.new("RGB", (40, 40), "#334155")
    dot = Image.new("RGB", (1, 1), "#334155")
    cands = [rgba, transparent_bg, rgb.convert("L"), dot, flat, Image.new("L", (3, 500), 0)]
    refs = [rgb, rgb, rgb.convert("L"), dot, flat, rgb]
    out = reward.score(refs, cands)
    # RGBA composited on white equals the RGB original; grayscale vs itself; 1x1 and flat vs themselves.
    assert out.total[:5] == pytest.approx([1.0] * 5, abs=1e-6)
    for name in METRICS:
        assert out.components[name][:5] == pytest.approx([1.0] * 5, abs=1e-6), name
    assert all(0.0 <= v <= 1.0 and np.isfinite(v) for row in out.rows() for k, v in row.items()
               if k != "error")
    recoloured = reward.score([rgb], [_widget("#dc2626")]).total[0]
    assert out.total[5] < recoloured < 1.0  # a black sliver is further from the widget than a recolouring


def test_weights_come_from_config_and_zero_weight_metrics_are_skipped() -> None:
    only_layout = ProgrammaticReward(weights={"layout": 2.0, "ssim": 0.0})
    assert only_layout.weights["layout"] == 1.0 and sum(only_layout.weights.values()) == pytest.approx(1.0)
    a, b = _widget(), _widget("#dc2626")
    out = only_layout.score([a], [b])
    assert set(out.components) == {"layout"}  # LPIPS never loaded, nothing else computed
    assert out.total == out.components["layout"]
    with pytest.raises(ValueError, match="unknown programmatic metric"):
        ProgrammaticReward(weights={"sharpness": 1.0})
    with pytest.raises(ValueError, match="positive sum"):
        ProgrammaticReward(weights={"ssim": 0.0})


def test_pickling_round_trip_keeps_scores(reward) -> None:
    a, b = _widget(), _widget("#dc2626")
    before = reward.score([a], [b])
    clone = pickle.loads(pickle.dumps(reward))
    assert clone._lpips is None  # the network is rebuilt lazily in the receiving process
    after = clone.score([a], [b])
    assert after.total == pytest.approx(before.total, abs=1e-6)
    for name in METRICS:
        assert after.components[name] == pytest.approx(before.components[name], abs=1e-6), name


def test_missing_lpips_backbone_names_the_file_and_directory(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    expected = tmp_path / "torch" / "hub" / "checkpoints"
    assert default_backbone_path("alex") == expected / "alexnet-owt-7be5be79.pth"
    reward = ProgrammaticReward()  # users' default: no random backbone
    with pytest.raises(LpipsWeightsMissing) as err:
        reward.score([_widget()], [_widget()])
    message = str(err.value)
    assert "alexnet-owt-7be5be79.pth" in message and str(expected) in message
    assert "https://download.pytorch.org/models/alexnet-owt-7be5be79.pth" in message
    with pytest.raises(LpipsWeightsMissing, match=r"nowhere\.pth"):
        load_lpips("alex", backbone_weights=tmp_path / "nowhere.pth")


@pytest.mark.slow
def test_lpips_backbone_loads_from_the_torch_hub_cache_and_from_a_path(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    state = torchvision.models.alexnet().state_dict()  # a checkpoint in torchvision's format
    path = default_backbone_path("alex")
    path.parent.mkdir(parents=True)
    torch.save(state, path)
    for model in (load_lpips("alex"), load_lpips("alex", backbone_weights=path)):
        loaded = model.net.state_dict()
        assert torch.equal(loaded["slice1.0.weight"], state["features.0.weight"])
        assert torch.equal(loaded["slice5.10.bias"], state["features.10.bias"])
    torch.save({"classifier.1.weight": torch.zeros(1)}, tmp_path / "wrong.pth")
    with pytest.raises(LpipsWeightsMissing, match=r"no features\.0\.weight"):
        load_lpips("alex", backbone_weights=tmp_path / "wrong.pth")


def test_lpips_similarity_matches_the_lpips_package_on_full_canvases(reward) -> None:
    """With no padding and no downsampling, the re-done forward pass is exactly 1 - lpips.LPIPS(...)."""
    rng = np.random.default_rng(0)
    refs = [Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)) for _ in range(2)]
    cands = [refs[0].filter(ImageFilter.GaussianBlur(1)), refs[1].rotate(90)]
    batch = prepare_pairs(refs, cands, size=64)
    assert batch.valid.all()
    ours = lpips_similarity(reward.lpips_model, batch, max_size=None)
    ref, cand = (torch.from_numpy(a).permute(0, 3, 1, 2) for a in (batch.reference, batch.candidate))
    with torch.no_grad():
        theirs = reward.lpips_model(ref, cand, normalize=True)
    assert ours == pytest.approx(1.0 - theirs.flatten().double().numpy(), abs=1e-5)
    assert ours[0] > ours[1]  # a slight blur is closer than a rotation


def test_layout_counts_a_missing_element_and_a_moved_one() -> None:
    from widget2code.rewards import metrics

    def boxes(dx: int = 0, second: bool = True) -> Image.Image:
        img = Image.new("RGB", (120, 60), "white")
        draw = ImageDraw.Draw(img)
        draw.rectangle((10 + dx, 10, 40 + dx, 40), fill="#111827")
        if second:
            draw.rectangle((70, 10, 100, 40), fill="#111827")
        return img

    ref = boxes()
    batch = prepare_pairs([ref] * 4, [ref, boxes(dx=4), boxes(dx=12), boxes(second=False)], size=120)
    layout = metrics.layout(batch)
    assert layout[0] == 1.0 and 1.0 > layout[1] > layout[2] and layout[3] < 0.7

"""CLIP image–image similarity with a tiny randomly initialised CLIPModel (no weights are downloaded)."""

from __future__ import annotations

import pickle

import pytest
from PIL import Image, ImageDraw

from widget2code.render import ErrorKind, RenderResult
from widget2code.rewards.clip import ClipModelUnavailable, ClipSimilarityReward, tiny_random_clip


def widget(fill: str = "#2563eb", size: tuple[int, int] = (120, 80), right: str | None = None) -> Image.Image:
    img = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(img)
    draw.rounded_rectangle((4, 4, size[0] - 5, size[1] - 5), 8, fill="#0f172a")
    draw.rectangle((12, 12, 60, 30), fill=fill)
    if right:
        draw.rectangle((size[0] - 40, 8, size[0] - 8, size[1] - 8), fill=right)
    return img


@pytest.fixture(scope="module")
def reward() -> ClipSimilarityReward:
    return ClipSimilarityReward(model_name_or_path=None, tiny_random=True, device="cpu", batch_size=2)


def test_identical_images_score_one_and_others_less(reward) -> None:
    ref = widget()
    out = reward.score([ref, ref, ref], [ref.copy(), widget("#dc2626"), Image.new("RGB", (1, 1), "black")])
    assert out.total[0] == pytest.approx(1.0, abs=1e-6)
    assert all(0.0 <= t < 1.0 for t in out.total[1:])
    assert out.components["clip_cosine"][1] == pytest.approx(out.total[1])


def test_batched_equals_one_by_one_and_references_are_cached() -> None:
    reward = ClipSimilarityReward(model_name_or_path=None, tiny_random=True, device="cpu", batch_size=3,
                                  cache_size=2)
    refs = [widget(), widget(), widget("#16a34a")]
    cands = [widget("#dc2626"), widget("#f59e0b"), widget("#16a34a", right="#f43f5e")]
    batched = reward.score(refs, cands).total
    assert len(reward._cache) == 2  # two distinct references, each embedded once
    single = [reward.score([r], [c]).total[0] for r, c in zip(refs, cands, strict=True)]
    assert single == pytest.approx(batched, abs=1e-5)
    reward.score([widget("#000000"), widget("#ffffff")], [widget(), widget()])
    assert len(reward._cache) == 2  # least recently used entries dropped at the bound


def test_wide_widget_is_seen_whole(reward) -> None:
    """A change at the far right of a wide widget counts: images are padded square, not centre-cropped."""
    ref = widget(size=(400, 80))
    changed = widget(size=(400, 80), right="#f43f5e")
    assert reward([ref], [changed])[0] < 1.0 - 1e-4


def test_failed_candidates_score_zero_with_their_error_kind(reward) -> None:
    ref = widget()
    failed = RenderResult.failure(ErrorKind.RUNTIME, "boom")
    out = reward.score([ref, ref, ref], [failed, None, ref])
    assert out.total[:2] == [0.0, 0.0] and out.errors == ["runtime", "missing", None]
    assert out.total[2] == pytest.approx(1.0, abs=1e-6)


def test_pickling_drops_the_model_and_reloads_it(reward) -> None:
    ref, cand = widget(), widget("#dc2626")
    before = reward([ref], [cand])
    clone = pickle.loads(pickle.dumps(reward))
    assert clone._model is None and not clone._cache
    assert clone([ref], [cand]) == pytest.approx(before, abs=1e-6)


def test_loads_a_local_checkpoint_directory(tmp_path) -> None:
    model, processor = tiny_random_clip(seed=1)
    model.save_pretrained(tmp_path)
    processor.save_pretrained(tmp_path)
    reward = ClipSimilarityReward(str(tmp_path), device="cpu", local_files_only=True)
    ref = widget()
    assert reward([ref], [ref])[0] == pytest.approx(1.0, abs=1e-6)
    assert reward([ref], [widget("#dc2626")])[0] < 1.0


def test_unloadable_weights_raise_a_clear_error(tmp_path) -> None:
    with pytest.raises(ClipModelUnavailable, match="could not load the CLIP model") as err:
        ClipSimilarityReward(str(tmp_path / "missing-clip"), device="cpu")([widget()], [widget()])
    assert "directory holding config.json" in str(err.value)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ClipModelUnavailable, match="empty"):
        ClipSimilarityReward(str(tmp_path / "empty"), local_files_only=True).embed([widget()])
    with pytest.raises(ClipModelUnavailable, match="hf download org/not-cached"):
        ClipSimilarityReward("org/not-cached", local_files_only=True).embed([widget()])
    with pytest.raises(ValueError, match="model_name_or_path"):
        ClipSimilarityReward(model_name_or_path=None)

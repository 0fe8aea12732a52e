from __future__ import annotations

from collections import Counter

import pytest
from scipy.stats import spearmanr

from widget2code.data.manifest import SampleRecord, read_manifest, write_manifest
from widget2code.data.stages.difficulty import RegexTokenizer, count_tokens, tag_difficulty
from widget2code.data.synthetic import generate_widgets
from widget2code.files import atomic_write_text
from widget2code.models.tokenizer import train_tokenizer


@pytest.fixture(scope="module")
def widgets():
    return list(generate_widgets(45, seed=11))


@pytest.fixture(scope="module")
def bpe(widgets):
    """A real byte-level BPE (the model family's format) trained offline on the widgets' code."""
    return train_tokenizer((w.tsx for w in widgets), family="glm4v", vocab_size=600)


def dataset(root, widgets):
    recs = []
    for i, w in enumerate(widgets):
        atomic_write_text(root / "tsx" / f"{i}.tsx", w.tsx)
        recs.append(SampleRecord(id=f"synthetic-{i:03d}", source="synthetic", category=w.category,
                                 tsx=f"tsx/{i}.tsx", image=f"images/{i}.png", metrics={"elements": w.element_count}))
    write_manifest(root, recs)
    return root


def test_terciles_with_the_model_tokenizer(tmp_path, widgets, bpe):
    report = tag_difficulty(dataset(tmp_path / "in", widgets), tmp_path / "out", bpe)
    out = read_manifest(tmp_path / "out")
    levels = Counter(r.difficulty for r in out)
    assert all(13 <= levels[name] <= 17 for name in ("simple", "medium", "complex")), levels
    low, high = report.extra["thresholds"]
    assert report.extra["fitted"] and low < high
    for r in out:  # every record's level agrees with its own count and the fitted boundaries
        tokens = r.metrics["tsx_tokens"]
        assert tokens == len(bpe.encode((tmp_path / "out" / r.tsx).read_text(), add_special_tokens=False))
        assert r.difficulty == ("simple" if tokens <= low else "medium" if tokens <= high else "complex")
    # Longer code is real structure here: token counts follow the generator's element counts.
    rho = spearmanr([r.metrics["tsx_tokens"] for r in out], [r.metrics["elements"] for r in out]).statistic
    assert rho > 0.6


def test_given_thresholds_are_used_as_is(tmp_path, widgets):
    src = dataset(tmp_path / "in", widgets[:12])
    report = tag_difficulty(src, tmp_path / "out", thresholds=[0, 10**6])
    assert not report.extra["fitted"]
    assert {r.difficulty for r in read_manifest(tmp_path / "out")} == {"medium"}
    with pytest.raises(ValueError, match="ascending"):
        tag_difficulty(src, tmp_path / "bad", thresholds=[50, 10])


def test_regex_fallback_counts_code_tokens_and_ranks_like_bpe(widgets, bpe):
    assert count_tokens(RegexTokenizer(), 'const x = "a-b";') == 9  # const x = " a - b " ;
    regex = [count_tokens(RegexTokenizer(), w.tsx) for w in widgets]
    real = [count_tokens(bpe, w.tsx) for w in widgets]
    assert spearmanr(regex, real).statistic > 0.9

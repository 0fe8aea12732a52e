"""The demo tier of the synthetic generator: deterministic, short, faithful one-line traces, renders."""

from __future__ import annotations

import re

import numpy as np
import pytest

from widget2code.data.manifest import read_manifest
from widget2code.data.stages.build import build_synthetic
from widget2code.data.synthetic.demo import (
    ACCENTS,
    DEMO_CATEGORIES,
    PALETTES,
    SIZES,
    WIDTHS,
    UnknownDemoCategoryError,
    generate_demo_widget,
    generate_demo_widgets,
)
from widget2code.models.tokenizer import train_tokenizer
from widget2code.render import Compiler, Renderer
from widget2code.task import format_completion

_TRACE = re.compile(r'^A (\w+) (\w+) widget on a (\w+) background with an? (\w+) accent, titled "([^"]+)", (.+)\.$')


def test_same_seed_same_widget_and_the_stream_is_deterministic() -> None:
    assert generate_demo_widget(5, "list") == generate_demo_widget(5, "list")
    assert list(generate_demo_widgets(12, seed=3)) == list(generate_demo_widgets(12, seed=3))
    assert [w.tsx for w in generate_demo_widgets(12, seed=3)] != [w.tsx for w in generate_demo_widgets(12, seed=4)]
    assert [w.category for w in generate_demo_widgets(8, categories=["stat", "list"])] == ["stat", "list"] * 4
    with pytest.raises(UnknownDemoCategoryError, match="'weather'"):
        generate_demo_widget(0, "weather")


def test_every_trait_is_drawn_and_widgets_vary() -> None:
    widgets = list(generate_demo_widgets(200, seed=0))
    assert {w.category for w in widgets} == set(DEMO_CATEGORIES)
    assert {w.palette for w in widgets} == set(PALETTES)
    assert {w.accent for w in widgets} == set(ACCENTS)
    assert {w.size for w in widgets} == set(SIZES)
    assert len({w.tsx for w in widgets}) >= 180


def test_the_one_line_trace_states_what_the_code_draws() -> None:
    for w in generate_demo_widgets(80, seed=1):
        m = _TRACE.match(w.cot)
        assert m and "\n" not in w.cot, w.cot
        size, category, palette, accent, title, detail = m.groups()
        root = w.tsx.splitlines()[2]  # the card's opening tag
        assert f"function {category.capitalize()}Widget()" in w.tsx
        assert f"w-[{WIDTHS[category][SIZES.index(size)]}px]" in root
        assert f"{PALETTES[palette].bg} {PALETTES[palette].fg}" in root
        assert f"bg-{ACCENTS[accent]}" in w.tsx and f">{title}<" in w.tsx
        if category == "progress":
            percent = int(re.search(r"(\d+)% full", detail).group(1))
            assert f">{percent}%<" in w.tsx and {25: "w-1/4", 50: "w-1/2", 75: "w-3/4"}[percent] in w.tsx
        if category == "list":
            assert w.tsx.count("w-3 h-3 rounded-full") == int(detail.split()[0])


def test_targets_are_short_with_a_tiny_tokenizer() -> None:
    widgets = list(generate_demo_widgets(120, seed=2))
    targets = [format_completion(w.cot, w.tsx) for w in widgets]
    tokenizer = train_tokenizer(targets, "glm4v", vocab_size=1024)
    lengths = [len(tokenizer(t)["input_ids"]) for t in targets]
    assert max(lengths) <= 300 and np.mean(lengths) <= 220


def test_every_demo_widget_compiles_with_its_colour_classes() -> None:
    widgets = list(generate_demo_widgets(24, seed=7))
    with Compiler() as compiler:
        results = compiler.compile_many([w.tsx for w in widgets])
    for w, r in zip(widgets, results, strict=True):
        assert r.ok, (w.category, w.seed, r.error_kind, r.message[:200])
        assert f".{PALETTES[w.palette].bg}" in r.css and f".bg-{ACCENTS[w.accent]}" in r.css


def test_build_stage_writes_the_demo_tier(tmp_path) -> None:
    report = build_synthetic(tmp_path, num_samples=6, seed=3, generator="demo")
    records = read_manifest(tmp_path)
    assert report.kept == 6 and [r.id for r in records] == [f"demo-3-{i:06d}" for i in range(6)]
    expected = list(generate_demo_widgets(6, seed=3))
    assert [(tmp_path / r.tsx).read_text() for r in records] == [w.tsx for w in expected]
    assert [r.cot for r in records] == [w.cot for w in expected]
    assert {r.provenance["generator"] for r in records} == {"widget2code.data.synthetic.demo"}
    with pytest.raises(ValueError, match="'tiny'"):
        build_synthetic(tmp_path / "x", num_samples=1, generator="tiny")  # type: ignore[arg-type]


@pytest.mark.browser
@pytest.mark.slow
def test_demo_widgets_render_at_their_size_in_their_colours(renderer: Renderer) -> None:
    stream = list(generate_demo_widgets(40, seed=5))
    firsts = {**{w.palette: w for w in reversed(stream)}, **{w.category: w for w in reversed(stream)}}
    widgets = list({w.seed: w for w in firsts.values()}.values())  # every palette and every layout
    results = renderer.render_many([w.tsx for w in widgets])
    margin = renderer.settings.margin
    edges = {}
    for w, res in zip(widgets, results, strict=True):
        assert res.ok, (w.category, w.seed, res.error_kind, res.message)
        assert res.width == WIDTHS[w.category][SIZES.index(w.size)] + 2 * margin
        edges[w.palette] = np.asarray(res.image, dtype=float)[res.height // 2, margin + 3]  # inside the card
    assert set(edges) == set(PALETTES)
    colours = list(edges.values())
    assert all(np.abs(a - b).max() > 40 for i, a in enumerate(colours) for b in colours[i + 1:])
    assert edges["white"].min() > 250 and edges["dark"].max() < 60

"""The synthetic widget generator: determinism, coverage, structural diversity, faithful traces, compiling."""

from __future__ import annotations

import random
import re
from collections import defaultdict

import pytest

from widget2code.data.synthetic import (
    CATEGORIES,
    HEADINGS,
    SyntheticWidget,
    UnknownCategoryError,
    generate_widget,
    generate_widgets,
)
from widget2code.data.synthetic.spec import depth, element_count, h, signature
from widget2code.render import Compiler

_OPEN_TAG = re.compile(r"<([a-z][a-zA-Z]*)\b")


def _tsx_depth(tsx: str) -> int:
    """Max JSX nesting, parsed from the emitted text (independent of the spec tree)."""
    deepest = level = 0
    for m in re.finditer(r"<(/?)([a-z][a-zA-Z]*)\b[^>]*?(/?)>", tsx):
        closing, self_closing = m.group(1), m.group(3)
        if closing:
            level -= 1
            continue
        level += 1
        deepest = max(deepest, level)
        if self_closing:
            level -= 1
    assert level == 0, "unbalanced tags"
    return deepest


def test_there_are_at_least_15_categories() -> None:
    assert len(CATEGORIES) >= 15
    assert len(set(CATEGORIES)) == len(CATEGORIES)


@pytest.mark.parametrize("category", CATEGORIES)
def test_same_seed_same_widget_and_seeds_differ(category: str) -> None:
    a, b = generate_widget(11, category), generate_widget(11, category)
    assert (a.tsx, a.cot, a.element_count, a.depth, a.style) == (b.tsx, b.cot, b.element_count, b.depth, b.style)
    sources = {generate_widget(seed, category).tsx for seed in range(20)}
    assert len(sources) == 20


@pytest.mark.parametrize("category", CATEGORIES)
def test_each_category_varies_in_structure_not_only_text(category: str) -> None:
    signatures = {generate_widget(seed, category).signature for seed in range(20)}
    assert len(signatures) >= 3, f"{category}: only {len(signatures)} layouts in 20 seeds"


def test_generation_ignores_and_keeps_the_global_rng() -> None:
    random.seed(1)
    first = generate_widget(3).tsx
    state = random.getstate()
    random.seed(2)
    second = generate_widget(3).tsx
    assert first == second
    random.setstate(state)
    generate_widgets(5).__next__()
    assert random.getstate() == state


def test_generate_widgets_is_deterministic_round_robin_and_reproducible() -> None:
    n = 2 * len(CATEGORIES)
    widgets = list(generate_widgets(n, seed=4))
    assert [w.tsx for w in widgets] == [w.tsx for w in generate_widgets(n, seed=4)]
    assert [w.tsx for w in widgets] != [w.tsx for w in generate_widgets(n, seed=5)]
    assert [w.category for w in widgets] == [CATEGORIES[i % len(CATEGORIES)] for i in range(n)]
    for w in widgets[:5]:
        assert generate_widget(w.seed, w.category).tsx == w.tsx
    assert {w.category for w in generate_widgets(6, seed=0, categories=["clock", "todo"])} == {"clock", "todo"}
    assert len({w.seed for w in widgets}) == n


def test_random_category_when_none_given() -> None:
    seen = {generate_widget(seed).category for seed in range(200)}
    assert seen == set(CATEGORIES)


def test_bad_inputs_raise_clear_errors() -> None:
    with pytest.raises(UnknownCategoryError, match="'wether'"):
        generate_widget(0, "wether")
    with pytest.raises(ValueError, match="'nope'"):
        list(generate_widgets(3, categories=["weather", "nope"]))
    with pytest.raises(TypeError, match="seed"):
        generate_widget("7")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="n must be"):
        list(generate_widgets(-1))
    with pytest.raises(ValueError, match="empty"):
        list(generate_widgets(1, categories=[]))


def _sample() -> list[SyntheticWidget]:
    return list(generate_widgets(3 * len(CATEGORIES), seed=123))


def test_element_count_and_depth_match_the_emitted_code() -> None:
    for w in _sample():
        assert w.element_count == len(_OPEN_TAG.findall(w.tsx)), w.category
        assert w.depth == _tsx_depth(w.tsx), w.category


def test_counts_follow_real_structure() -> None:
    leaf = h("span", "text-sm", text="a very long piece of text " * 20)
    tree = h("div", "flex", h("div", "", h("span", "", text="x")), leaf)
    assert (element_count(leaf), depth(leaf)) == (1, 1)
    assert (element_count(tree), depth(tree)) == (4, 3)
    # List length does not change the signature; a different arrangement does.
    rows = [h("div", "flex", h("span", "", text=str(i)), role="row") for i in range(3)]
    assert signature(h("div", "", rows[:2])) == signature(h("div", "", rows))
    assert signature(h("div", "", rows)) != signature(h("div", "", h("div", "grid", rows)))
    # Bigger widget families carry more structure than small ones.
    by_family: dict[str, list[int]] = defaultdict(list)
    for w in generate_widgets(8 * len(CATEGORIES), seed=9):
        by_family[w.style["family"]].append(w.element_count)
    mean = {f: sum(v) / len(v) for f, v in by_family.items()}
    assert mean["large"] > mean["small"] * 1.5


def test_code_follows_the_import_contract_and_stays_compact() -> None:
    for w in _sample():
        lines = w.tsx.splitlines()
        assert lines[0].startswith("export default function ") and lines[0].endswith("Widget() {")
        assert "import " not in w.tsx.replace('import React from "react"', "")
        for banned in ("Date", "setInterval", "setTimeout", "<img", "http", "useEffect", "url("):
            assert banned not in w.tsx, (w.category, banned)
        assert 8 <= len(lines) <= 130, (w.category, len(lines))
        assert all((len(line) - len(line.lstrip(" "))) % 2 == 0 for line in lines)
        assert f"w-[{w.style['width']}px]" in lines[2]


def test_reasoning_trace_has_five_sections_and_names_real_colours() -> None:
    for w in _sample():
        positions = [w.cot.find(f"{heading}\n") for heading in HEADINGS]
        assert all(p >= 0 for p in positions) and positions == sorted(positions), w.cot
        assert len(re.findall(r"^\d\. [A-Z]", w.cot, re.M)) >= 5
        mentioned = set(re.findall(r"#[0-9a-fA-F]{6,8}\b", w.cot))
        in_code = set(re.findall(r"#[0-9a-fA-F]{6,8}\b", w.tsx))
        assert mentioned <= in_code, (w.category, mentioned - in_code)
        assert len(mentioned) >= 3
        assert all(c in w.cot for c in w.style["background"])
        assert f"{w.style['width']}px" in w.cot
        # The trace names the widget's actual text.
        texts = re.findall(r">([^<>{}\n]+)</span>", w.tsx)
        assert sum(t in w.cot for t in texts) >= min(3, len(texts))


@pytest.mark.slow
def test_every_sampled_widget_compiles() -> None:
    widgets = list(generate_widgets(60, seed=2024))
    assert {w.category for w in widgets} == set(CATEGORIES)
    with Compiler() as compiler:
        results = compiler.compile_many([w.tsx for w in widgets])
    failures = [(w.category, w.seed, r.error_kind, r.message[:200]) for w, r in zip(widgets, results, strict=True)
                if not r.ok]
    assert not failures
    # Tailwind generated a rule for the arbitrary width of every widget.
    for w, r in zip(widgets, results, strict=True):
        assert f"w-\\[{w.style['width']}px\\]" in r.css

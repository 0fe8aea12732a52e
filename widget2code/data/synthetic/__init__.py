"""A seeded procedural generator of realistic React + Tailwind widgets with faithful reasoning traces.

    from widget2code.data.synthetic import generate_widget, generate_widgets, CATEGORIES
    w = generate_widget(7, "weather")      # same seed and category -> identical widget
    w.tsx, w.cot, w.element_count, w.depth

Everything is drawn from a local `random.Random(seed)`: no global RNG, no clock.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from widget2code.data.synthetic.categories import REGISTRY
from widget2code.data.synthetic.cot import HEADINGS, write_cot
from widget2code.data.synthetic.emit import emit_tsx
from widget2code.data.synthetic.spec import Node, depth, element_count, signature
from widget2code.data.synthetic.style import sample_style

CATEGORIES: tuple[str, ...] = tuple(REGISTRY)


class UnknownCategoryError(ValueError):
    """A category name the generator does not have."""


@dataclass(frozen=True)
class SyntheticWidget:
    category: str
    seed: int
    tsx: str
    cot: str  # the 5-section reasoning trace
    element_count: int  # JSX elements in `tsx`
    depth: int  # maximum nesting of JSX elements (the root is 1)
    spec: Node = field(repr=False)
    style: dict[str, object] = field(repr=False)

    @property
    def signature(self) -> str:
        """The structure of the widget, blind to text, colours and list lengths."""
        return signature(self.spec)


def _check_seed(seed: object) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__} {seed!r}")
    return seed


def _check_category(category: str) -> str:
    if category not in REGISTRY:
        raise UnknownCategoryError(f"unknown category {category!r}; choose one of: {', '.join(CATEGORIES)}")
    return category


def _component_name(category: str) -> str:
    return "".join(part.capitalize() for part in category.split("_")) + "Widget"


def generate_widget(seed: int, category: str | None = None) -> SyntheticWidget:
    """One widget; the same `seed` (and `category`) always gives the same widget."""
    seed = _check_seed(seed)
    rng = random.Random(seed)
    name = _check_category(category) if category is not None else rng.choice(CATEGORIES)
    cat = REGISTRY[name]
    style = sample_style(rng, cat.families, cat.theme_weights, cat.fonts)
    root = cat.build(rng, style)
    component = _component_name(name)
    return SyntheticWidget(
        category=name, seed=seed, tsx=emit_tsx(root, component), cot=write_cot(root, style, component),
        element_count=element_count(root), depth=depth(root), spec=root, style=style.summary(),
    )


def generate_widgets(n: int, seed: int = 0, categories: Sequence[str] | None = None) -> Iterator[SyntheticWidget]:
    """`n` widgets, cycling through `categories` (all by default) in order; deterministic in `seed`.

    Each widget gets its own seed derived from (`seed`, index), so `generate_widget(w.seed, w.category)`
    reproduces any one of them.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"n must be a non-negative int, got {n!r}")
    seed = _check_seed(seed)
    names = tuple(categories) if categories is not None else CATEGORIES
    if not names:
        raise ValueError("categories is empty; pass None for all categories")
    for name in names:
        _check_category(name)
    for i in range(n):
        widget_seed = random.Random(f"synthetic:{seed}:{i}").getrandbits(48)
        yield generate_widget(widget_seed, names[i % len(names)])


__all__ = ["CATEGORIES", "HEADINGS", "SyntheticWidget", "UnknownCategoryError", "generate_widget", "generate_widgets"]

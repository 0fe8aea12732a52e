"""The demo tier of the generator: widgets small enough for a ~3M-parameter model to learn on a CPU.

    from widget2code.data.synthetic.demo import DEMO_CATEGORIES, generate_demo_widget, generate_demo_widgets
    w = generate_demo_widget(7, "progress")   # same seed and category -> identical widget

The full generator's widgets run to ~1,600 tokens with their trace, far too long to learn in minutes
on two cores. Demo widgets are four layouts (stat, progress, list, profile), five backgrounds and four
accents, each a handful of elements, with a one-line trace that states what is visible. Most of the
code follows from what the picture shows: the component name and structure from the layout (each
layout has its own width and shape), the background and text colour classes from the background,
the accent classes from the accent, the bar width from the bar, the rows from the list. Variants
differ in large areas of colour and shape, so an image reward tells them apart. Text (titles, values,
list items) comes from small word lists, so a model can learn it as a prior even where it cannot read it.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from widget2code.data.synthetic.emit import emit_tsx
from widget2code.data.synthetic.spec import Node, depth, element_count, h


@dataclass(frozen=True)
class Palette:
    """A background and the text colours that read on it (Tailwind classes)."""

    bg: str
    fg: str
    muted: str
    track: str  # the empty part of a progress bar


# Backgrounds far apart in colour and lightness: the largest area of every widget.
PALETTES: dict[str, Palette] = {
    "white": Palette("bg-white", "text-slate-900", "text-slate-500", "bg-slate-200"),
    "dark": Palette("bg-slate-900", "text-white", "text-slate-400", "bg-slate-700"),
    "blue": Palette("bg-blue-600", "text-white", "text-blue-100", "bg-blue-800"),
    "green": Palette("bg-emerald-600", "text-white", "text-emerald-100", "bg-emerald-800"),
    "purple": Palette("bg-violet-600", "text-white", "text-violet-100", "bg-violet-800"),
}
# Light accents, visible on every background above; text on them is dark.
ACCENTS: dict[str, str] = {"amber": "amber-300", "lime": "lime-300", "pink": "pink-300", "cyan": "cyan-300"}
ON_ACCENT = "text-slate-900"
CARD = "rounded-3xl"

_TITLES = {
    "stat": ("Revenue", "Visitors", "Steps", "Orders"),
    "progress": ("Storage", "Upload", "Battery", "Goal"),
    "list": ("Groceries", "Today", "Errands", "Packing"),
    "profile": ("Ada Lovelace", "Alan Turing", "Grace Hopper", "Linus Pauling"),
}
_VALUES = ("1,284", "8,302", "512", "47", "2.4k", "96")
_CHANGES = ("+12%", "+3%", "-8%", "+27%")
_ITEMS = ("Milk", "Eggs", "Bread", "Coffee", "Apples", "Rice", "Tea", "Soap")
_ROLES = ("Engineer", "Designer", "Manager", "Scientist")
_FRACTIONS = (("w-1/4", 25), ("w-1/2", 50), ("w-3/4", 75))


@dataclass(frozen=True)
class _Look:
    palette: str
    accent: str
    width: int

    @property
    def colours(self) -> Palette:
        return PALETTES[self.palette]

    @property
    def accent_bg(self) -> str:
        return f"bg-{ACCENTS[self.accent]}"


def _root(look: _Look, layout: str, *children: Node) -> Node:
    return h("div", f"{layout} w-[{look.width}px] {CARD} {look.colours.bg} {look.colours.fg}", *children,
             role="widget card")


def _stat(rng: random.Random, look: _Look, title: str) -> tuple[Node, str]:
    change = rng.choice(_CHANGES)
    root = _root(
        look, "flex flex-col p-5 gap-2",
        h("span", f"text-sm font-medium {look.colours.muted}", text=title, role="title"),
        h("span", "text-5xl font-bold", text=rng.choice(_VALUES), role="value"),
        h("span", f"self-start rounded-full px-3 py-1 text-sm font-semibold {look.accent_bg} {ON_ACCENT}",
          text=change, role="change badge"),
    )
    return root, f"a badge {change}"


def _progress(rng: random.Random, look: _Look, title: str) -> tuple[Node, str]:
    width, percent = rng.choice(_FRACTIONS)
    root = _root(
        look, "flex flex-col p-6 gap-4",
        h("div", "flex justify-between items-center",
          h("span", "text-lg font-semibold", text=title, role="title"),
          h("span", f"text-lg font-bold {look.colours.muted}", text=f"{percent}%", role="percentage")),
        h("div", f"h-4 rounded-full {look.colours.track}",
          h("div", f"h-4 rounded-full {width} {look.accent_bg}", role="bar fill"), role="bar track"),
    )
    return root, f"a bar {percent}% full"


def _list(rng: random.Random, look: _Look, title: str) -> tuple[Node, str]:
    items = rng.sample(_ITEMS, rng.randint(2, 3))
    rows = [h("div", "flex items-center gap-3",
              h("div", f"w-3 h-3 rounded-full {look.accent_bg}", role="dot"),
              h("span", "text-base", text=item, role="item"), role="row") for item in items]
    root = _root(look, "flex flex-col p-5 gap-3", h("span", "text-lg font-bold", text=title, role="title"),
                 rows)
    return root, f"{len(items)} items"


def _profile(rng: random.Random, look: _Look, title: str) -> tuple[Node, str]:
    initials = "".join(word[0] for word in title.split())
    root = _root(
        look, "flex items-center p-5 gap-4",
        h("div", f"flex items-center justify-center w-16 h-16 rounded-full {look.accent_bg} text-2xl font-bold "
          f"{ON_ACCENT}", text=initials, role="avatar"),
        h("div", "flex flex-col",
          h("span", "text-lg font-semibold", text=title, role="title"),
          h("span", f"text-sm {look.colours.muted}", text=rng.choice(_ROLES), role="role")),
    )
    return root, f"an avatar {initials}"


_BUILDERS: dict[str, Callable[[random.Random, _Look, str], tuple[Node, str]]] = {
    "stat": _stat, "progress": _progress, "list": _list, "profile": _profile,
}
DEMO_CATEGORIES: tuple[str, ...] = tuple(_BUILDERS)
SIZES = ("small", "medium", "large")
# Card widths (px) per layout and size: the card's shape is part of what the picture shows.
WIDTHS: dict[str, tuple[int, int, int]] = {
    "stat": (200, 240, 280), "progress": (300, 340, 380), "list": (220, 260, 300), "profile": (280, 320, 360),
}


@dataclass(frozen=True)
class DemoWidget:
    category: str
    seed: int
    tsx: str
    cot: str  # one line: what the widget shows
    element_count: int
    depth: int
    size: str
    palette: str
    accent: str
    title: str


class UnknownDemoCategoryError(ValueError):
    """A category name the demo tier does not have."""


def _check_category(category: str) -> str:
    if category not in _BUILDERS:
        raise UnknownDemoCategoryError(
            f"unknown demo category {category!r}; choose one of: {', '.join(DEMO_CATEGORIES)}")
    return category


def generate_demo_widget(seed: int, category: str | None = None) -> DemoWidget:
    """One demo widget; the same `seed` (and `category`) always gives the same widget."""
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__} {seed!r}")
    rng = random.Random(seed)
    name = _check_category(category) if category is not None else rng.choice(DEMO_CATEGORIES)
    size = rng.randrange(len(SIZES))
    look = _Look(rng.choice(tuple(PALETTES)), rng.choice(tuple(ACCENTS)), WIDTHS[name][size])
    title = rng.choice(_TITLES[name])
    root, detail = _BUILDERS[name](rng, look, title)
    article = "an" if look.accent[0] in "aeiou" else "a"
    cot = (f'A {SIZES[size]} {name} widget on a {look.palette} background with {article} {look.accent} accent, '
           f'titled "{title}", {detail}.')
    return DemoWidget(category=name, seed=seed, tsx=emit_tsx(root, f"{name.capitalize()}Widget"), cot=cot,
                      element_count=element_count(root), depth=depth(root), size=SIZES[size], palette=look.palette,
                      accent=look.accent, title=title)


def generate_demo_widgets(n: int, seed: int = 0, categories: Sequence[str] | None = None) -> Iterator[DemoWidget]:
    """`n` demo widgets cycling through `categories` (all by default); deterministic in `seed`."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"n must be a non-negative int, got {n!r}")
    names = tuple(categories) if categories is not None else DEMO_CATEGORIES
    if not names:
        raise ValueError("categories is empty; pass None for all demo categories")
    for name in names:
        _check_category(name)
    for i in range(n):
        yield generate_demo_widget(random.Random(f"demo:{seed}:{i}").getrandbits(48), names[i % len(names)])

"""The category registry: each builder module registers its categories with `@category(...)`."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from widget2code.data.synthetic.spec import Node
from widget2code.data.synthetic.style import Style

Builder = Callable[[random.Random, Style], Node]


@dataclass(frozen=True)
class Category:
    name: str
    build: Builder
    families: tuple[str, ...]  # the sizes it comes in (see style.FAMILIES)
    theme_weights: tuple[int, int, int]  # light, dark, gradient
    fonts: tuple[str, ...]


REGISTRY: dict[str, Category] = {}


def category(name: str, families: tuple[str, ...], theme_weights: tuple[int, int, int] = (5, 4, 2),
             fonts: tuple[str, ...] = ("font-sans",)) -> Callable[[Builder], Builder]:
    def register(build: Builder) -> Builder:
        if name in REGISTRY:
            raise ValueError(f"category {name!r} is registered twice")
        REGISTRY[name] = Category(name, build, families, theme_weights, fonts)
        return build

    return register

"""Visual styles: palettes (light, dark, gradient), accents, sizes, typography, spacing and shadows.

A `Style` is drawn once per widget from the seeded RNG; every category builder reads its colours and
sizes from it, so one category can look like an iOS widget, an Android card or a web dashboard tile.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass

# name, theme, background, foreground, muted, surface, border
_PALETTES: tuple[tuple[str, str, tuple[str, ...], str, str, str, str], ...] = (
    ("snow", "light", ("#ffffff",), "#0f172a", "#64748b", "#f1f5f9", "#e2e8f0"),
    ("paper", "light", ("#fafaf9",), "#1c1917", "#78716c", "#f0efed", "#e7e5e4"),
    ("cream", "light", ("#fffbeb",), "#292524", "#78716c", "#fef3c7", "#fde68a"),
    ("cloud", "light", ("#f8fafc",), "#1e293b", "#64748b", "#e2e8f0", "#cbd5e1"),
    ("midnight", "dark", ("#0f172a",), "#f8fafc", "#94a3b8", "#1e293b", "#334155"),
    ("graphite", "dark", ("#18181b",), "#fafafa", "#a1a1aa", "#27272a", "#3f3f46"),
    ("ink", "dark", ("#020617",), "#e2e8f0", "#94a3b8", "#0f172a", "#1e293b"),
    ("pine", "dark", ("#052e2b",), "#ecfdf5", "#99c5b8", "#0b3d39", "#115e59"),
    ("ocean", "gradient", ("#0ea5e9", "#2563eb"), "#ffffff", "#e0f2fe", "#ffffff2e", "#ffffff40"),
    ("sunset", "gradient", ("#f97316", "#db2777"), "#ffffff", "#ffedd5", "#ffffff2e", "#ffffff40"),
    ("aurora", "gradient", ("#059669", "#0e7490"), "#ffffff", "#d1fae5", "#ffffff2e", "#ffffff40"),
    ("grape", "gradient", ("#8b5cf6", "#6d28d9"), "#ffffff", "#ede9fe", "#ffffff2e", "#ffffff40"),
    ("dusk", "gradient", ("#1e3a8a", "#7c3aed"), "#ffffff", "#dbeafe", "#ffffff26", "#ffffff3d"),
)

# accent on light, accent on dark
_ACCENTS: tuple[tuple[str, str, str], ...] = (
    ("blue", "#2563eb", "#60a5fa"),
    ("indigo", "#4f46e5", "#818cf8"),
    ("emerald", "#059669", "#34d399"),
    ("rose", "#e11d48", "#fb7185"),
    ("amber", "#d97706", "#fbbf24"),
    ("violet", "#7c3aed", "#a78bfa"),
    ("cyan", "#0891b2", "#22d3ee"),
    ("pink", "#db2777", "#f472b6"),
)

# iOS-like widget families and web cards: (name, widths, min heights); height 0 means "as tall as the content"
FAMILIES: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {
    "small": ((158, 164, 170, 176), (158, 164, 170, 176)),
    "medium": ((329, 338, 348, 360), (155, 160, 170)),
    "large": ((329, 338, 348, 360), (345, 354, 370)),
    "card": ((280, 300, 320, 340, 360, 380, 400, 420), (0,)),
}


@dataclass(frozen=True)
class Style:
    palette: str
    theme: str  # light | dark | gradient
    background: tuple[str, ...]  # one colour, or the two stops of a gradient
    fg: str
    muted: str
    surface: str
    border: str
    accent_name: str
    accent: str
    on_accent: str  # text colour on top of the accent
    soft: str  # the accent at low opacity, for chips and tracks
    good: str
    bad: str
    family: str
    width: int
    min_height: int
    font: str  # font-sans | font-mono | font-serif
    title_size: str
    hero_size: str
    title_weight: str
    hero_weight: str
    tracking: str  # "" or tracking-tight
    pad: int  # Tailwind spacing steps
    gap: int
    radius: str
    inner_radius: str
    shadow: str  # "" for none
    bordered: bool
    gradient_dir: str

    @property
    def dark(self) -> bool:
        return self.theme != "light"

    def bg_classes(self) -> str:
        if len(self.background) == 2:
            a, b = self.background
            return f"bg-linear-to-{self.gradient_dir} from-[{a}] to-[{b}]"
        return f"bg-[{self.background[0]}]"

    def summary(self) -> dict[str, object]:
        return asdict(self)


def sample_style(rng: random.Random, families: tuple[str, ...], theme_weights: tuple[int, int, int] = (5, 4, 2),
                 fonts: tuple[str, ...] = ("font-sans",)) -> Style:
    """Draw a style; `families` are the sizes this category supports, `theme_weights` light/dark/gradient."""
    theme = rng.choices(("light", "dark", "gradient"), weights=theme_weights)[0]
    name, _, background, fg, muted, surface, border = rng.choice([p for p in _PALETTES if p[1] == theme])
    accent_name, on_light, on_dark = rng.choice(_ACCENTS)
    if theme == "gradient":
        accent, on_accent, soft = "#ffffff", background[-1], "#ffffff33"
        good, bad = "#bbf7d0", "#fecdd3"
    elif theme == "dark":
        accent, on_accent, soft = on_dark, background[0], on_dark + "33"
        good, bad = "#4ade80", "#f87171"
    else:
        accent, on_accent, soft = on_light, "#ffffff", on_light + "1f"
        good, bad = "#16a34a", "#dc2626"
    family = rng.choice(families)
    widths, heights = FAMILIES[family]
    small = family == "small"
    return Style(
        palette=name, theme=theme, background=background, fg=fg, muted=muted, surface=surface, border=border,
        accent_name=accent_name, accent=accent, on_accent=on_accent, soft=soft, good=good, bad=bad,
        family=family, width=rng.choice(widths), min_height=rng.choice(heights),
        font=rng.choice(fonts),
        title_size=rng.choice(("text-sm", "text-base") if not small else ("text-xs", "text-sm")),
        hero_size=rng.choice(("text-3xl", "text-4xl") if small else ("text-4xl", "text-5xl")),
        title_weight=rng.choice(("font-semibold", "font-bold", "font-medium")),
        hero_weight=rng.choice(("font-semibold", "font-bold", "font-light", "font-medium")),
        tracking=rng.choice(("", "tracking-tight")),
        pad=rng.choice((3, 4) if small else (4, 5, 6)),
        gap=rng.choice((2, 3) if small else (3, 4)),
        radius=rng.choice(("rounded-2xl", "rounded-3xl", "rounded-[22px]", "rounded-xl")),
        inner_radius=rng.choice(("rounded-lg", "rounded-xl")),
        shadow=rng.choice(("", "shadow-md", "shadow-lg", "shadow-xl")),
        bordered=theme != "gradient" and rng.random() < 0.35,
        gradient_dir=rng.choice(("br", "b", "tr", "r")),
    )

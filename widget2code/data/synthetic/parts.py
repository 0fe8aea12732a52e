"""Building blocks shared by the category builders: the card, headers, bars, rings, charts, controls."""

from __future__ import annotations

import random
from collections.abc import Sequence

from widget2code.data.synthetic.icons import icon
from widget2code.data.synthetic.spec import Node, h
from widget2code.data.synthetic.style import Style
from widget2code.data.synthetic.words import FIRST_NAMES, LAST_NAMES


def card(st: Style, *children: object, row: bool = False, justify: str = "") -> Node:
    """The widget's root: size, background, padding, radius, shadow and default text colour."""
    cls = [
        "flex", "flex-row" if row else "flex-col", f"w-[{st.width}px]",
        f"min-h-[{st.min_height}px]" if st.min_height else "",
        f"p-{st.pad}", f"gap-{st.gap}", st.radius, st.bg_classes(), f"text-[{st.fg}]", st.font,
        st.shadow, f"border border-[{st.border}]" if st.bordered else "", justify,
    ]
    return h("div", " ".join(c for c in cls if c), *children, role="widget card")


def text(cls: str, value: str, role: str, tag: str = "span") -> Node:
    return h(tag, cls, text=value, role=role)


def title(st: Style, value: str, role: str = "title", extra: str = "") -> Node:
    return text(f"{st.title_size} {st.title_weight} {st.tracking} {extra}".strip(), value, role)


def label(st: Style, value: str, role: str = "label", size: str = "text-xs", extra: str = "") -> Node:
    return text(f"{size} text-[{st.muted}] {extra}".strip(), value, role)


def hero(st: Style, value: str, role: str, size: str | None = None, extra: str = "") -> Node:
    cls = f"{size or st.hero_size} {st.hero_weight} {st.tracking} leading-none {extra}"
    return text(" ".join(cls.split()), value, role)


def header(st: Style, name: str, icon_name: str | None = None, trailing: Node | None = None,
           role: str = "header") -> Node:
    """A row with an optional icon, a title and an optional trailing element."""
    left = h("div", "flex items-center gap-2 min-w-0",
             icon(icon_name, st.accent, "w-4 h-4") if icon_name else None,
             title(st, name, extra="truncate"))
    return h("div", "flex items-center justify-between gap-2", left, trailing, role=role)


def icon_tile(name: str, bg: str, fg: str, size: str = "w-9 h-9", icon_size: str = "w-5 h-5",
              radius: str = "rounded-xl", role: str = "icon tile") -> Node:
    return h("div", f"flex items-center justify-center {size} {radius} bg-[{bg}] shrink-0",
             icon(name, fg, icon_size), role=role)


def progress_bar(pct: int, color: str, track: str, height: str = "h-2", role: str = "progress bar") -> Node:
    return h("div", f"w-full {height} rounded-full bg-[{track}]",
             h("div", f"h-full w-[{pct}%] rounded-full bg-[{color}]", role="progress fill"), role=role)


def ring(pct: int, color: str, track: str, size: str, *center: object, stroke: float = 3.5,
         role: str = "progress ring") -> Node:
    """A circular progress ring: an SVG circle of circumference 100 with the centre label on top."""
    r = 15.9155  # 2πr = 100, so the dash length is the percentage
    track_c = h("circle", "", cx=18, cy=18, r=r, fill="none", stroke=track, strokeWidth=stroke)
    arc = h("circle", "", cx=18, cy=18, r=r, fill="none", stroke=color, strokeWidth=stroke,
            strokeDasharray=f"{pct} 100", strokeLinecap="round", transform="rotate(-90 18 18)")
    svg = h("svg", "w-full h-full", track_c, arc, viewBox="0 0 36 36")
    inner = h("div", "absolute inset-0 flex flex-col items-center justify-center", *center) if center else None
    return h("div", f"relative {size} shrink-0", svg, inner, role=role)


def sparkline(values: Sequence[float], color: str, height: str = "h-12", area: str | None = None,
              role: str = "sparkline chart") -> Node:
    """A line chart of `values` in a 100×32 box stretched to the container width."""
    lo, hi = min(values), max(values)
    span = (hi - lo) or 1.0
    pts = [(round(i * 100 / (len(values) - 1), 1), round(30 - (v - lo) / span * 28, 1)) for i, v in enumerate(values)]
    line = "M" + " L".join(f"{x} {y}" for x, y in pts)
    children = []
    if area:
        children.append(h("path", "", d=f"{line} L100 32 L0 32 Z", fill=area))
    children.append(h("path", "", d=line, fill="none", stroke=color, strokeWidth=2, strokeLinejoin="round",
                      vectorEffect="non-scaling-stroke"))
    return h("svg", f"w-full {height}", children, role=role, viewBox="0 0 100 32", preserveAspectRatio="none")


def bar_chart(heights: Sequence[int], color: str, highlight: str, track: str | None, labels: Sequence[str],
              muted: str, height: int = 72, active: int = -1) -> Node:
    """Vertical bars (percent heights) over a row of labels; the `active` bar is highlighted."""
    bars = []
    for i, pct in enumerate(heights):
        fill = highlight if i == active else color
        if track:
            inner = h("div", f"w-full h-[{pct}%] rounded-md bg-[{fill}]", role="bar")
            bars.append(h("div", f"flex-1 flex items-end h-full rounded-md bg-[{track}]", inner, role="bar track"))
        else:
            bars.append(h("div", f"flex-1 h-[{pct}%] rounded-md bg-[{fill}]", role="bar"))
    return h("div", "flex flex-col gap-1.5",
             h("div", f"flex items-end gap-1.5 h-[{height}px]", bars, role="bars"),
             h("div", "flex gap-1.5", [text(f"flex-1 text-center text-[10px] text-[{muted}]", lab, "axis label")
                                        for lab in labels], role="axis"),
             role="bar chart")


def avatar(name: str, bg: str, fg: str, size: str = "w-10 h-10", text_size: str = "text-sm") -> Node:
    initials = "".join(part[0] for part in name.split()[:2]).upper()
    return h("div", f"flex items-center justify-center {size} rounded-full bg-[{bg}] shrink-0",
             text(f"{text_size} font-semibold text-[{fg}]", initials, "initials"), role="avatar")


def button(label_text: str, bg: str, fg: str, extra: str = "", role: str = "button",
           icon_name: str | None = None) -> Node:
    cls = f"flex items-center justify-center gap-2 h-10 px-4 rounded-xl bg-[{bg}] text-[{fg}] text-sm font-semibold"
    return h("button", f"{cls} {extra}".strip(), icon(icon_name, fg, "w-4 h-4") if icon_name else None,
             text("", label_text, "button label"), role=role)


def chip(value: str, bg: str, fg: str, role: str = "chip", extra: str = "") -> Node:
    return text(f"px-2 py-0.5 rounded-full bg-[{bg}] text-[{fg}] text-[11px] font-semibold {extra}".strip(),
                value, role)


def toggle(on: bool, accent: str, off_track: str, knob: str = "#ffffff") -> Node:
    track = accent if on else off_track
    return h("div", f"flex items-center w-10 h-6 p-0.5 rounded-full bg-[{track}] shrink-0"
             + (" justify-end" if on else ""),
             h("div", f"w-5 h-5 rounded-full bg-[{knob}] shadow-sm", role="toggle knob"),
             role="toggle on" if on else "toggle off")


def checkbox(checked: bool, accent: str, on_accent: str, border: str) -> Node:
    if checked:
        return h("div", f"flex items-center justify-center w-5 h-5 rounded-md bg-[{accent}] shrink-0",
                 icon("check", on_accent, "w-3.5 h-3.5", 3), role="checkbox checked")
    return h("div", f"w-5 h-5 rounded-md border-2 border-[{border}] shrink-0", role="checkbox empty")


def divider(color: str) -> Node:
    return h("div", f"h-px w-full bg-[{color}]", role="divider")


def walk_values(rng: random.Random, n: int, start: float, vol: float, drift: float = 0.0) -> list[float]:
    """A seeded random walk, for charts."""
    values = [start]
    for _ in range(n - 1):
        values.append(max(0.1, values[-1] + rng.gauss(drift, vol)))
    return values


def person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def clock_time(rng: random.Random, twelve: bool = True) -> tuple[str, int, int]:
    """A seeded time of day: (text, hour 0-23, minute)."""
    hour, minute = rng.randrange(24), rng.randrange(0, 60, 5)
    if twelve:
        return f"{(hour % 12) or 12}:{minute:02d} {'AM' if hour < 12 else 'PM'}", hour, minute
    return f"{hour:02d}:{minute:02d}", hour, minute

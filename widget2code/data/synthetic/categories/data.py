"""Numbers and charts: stats (KPIs), stock, progress, fitness."""

from __future__ import annotations

import math
import random

from widget2code.data.synthetic import words as W
from widget2code.data.synthetic.categories.registry import category
from widget2code.data.synthetic.icons import icon
from widget2code.data.synthetic.parts import (
    bar_chart,
    card,
    chip,
    divider,
    header,
    hero,
    icon_tile,
    label,
    progress_bar,
    ring,
    sparkline,
    text,
    title,
    walk_values,
)
from widget2code.data.synthetic.spec import Node, h
from widget2code.data.synthetic.style import Style


def _kpi_value(rng: random.Random, prefix: str, suffix: str) -> str:
    if suffix == "%":
        return f"{rng.uniform(0.5, 68):.1f}%"
    value = rng.choice((rng.randint(120, 9999), rng.randint(10_000, 999_999)))
    shown = f"{value / 1000:.1f}k" if value >= 10_000 else f"{value:,}"
    return f"{prefix}{shown}"


def _delta(rng: random.Random, st: Style, boxed: bool = True) -> Node:
    pct = round(rng.uniform(-18, 32), 1)
    up = pct >= 0
    color = st.good if up else st.bad
    inner = [icon("trend-up" if up else "trend-down", color, "w-3.5 h-3.5"),
             text(f"text-xs font-semibold text-[{color}]", f"{'+' if up else ''}{pct}%", "change value")]
    cls = (f"flex items-center self-start gap-1 px-1.5 py-0.5 rounded-md bg-[{color}1f]" if boxed
           else "flex items-center gap-1")
    return h("div", cls, inner, role="change indicator")


@category("stats", ("small", "medium", "large", "card"), theme_weights=(6, 5, 2))
def stats(rng: random.Random, st: Style) -> Node:
    kpis = rng.sample(W.KPIS, 4)
    boxed = rng.random() < 0.5
    period = rng.choice(("Last 7 days", "This month", "Today", "Q3 2025", "This week"))

    def kpi(i: int, size: str, tile: bool) -> Node:
        name, prefix, suffix = kpis[i]
        cls = f"flex flex-col gap-1 p-3 {st.inner_radius} bg-[{st.surface}]" if tile else "flex flex-col gap-1"
        return h("div", cls, label(st, name, "metric label", "text-xs", "font-medium"),
                 hero(st, _kpi_value(rng, prefix, suffix), "metric value", size), _delta(rng, st, boxed),
                 role="metric tile" if tile else "metric")

    values = walk_values(rng, rng.randint(8, 14), 50, 8, 1.5)
    area = st.accent + "33" if len(st.accent) == 7 else "#ffffff33"
    if st.family == "small":
        return card(st, kpi(0, "text-3xl", False), h("div", "mt-auto", sparkline(values, st.accent, "h-10", area)))
    variant = rng.choice(("chart", "tiles", "bars", "rows"))
    if st.family == "medium":
        if variant in ("chart", "rows"):
            return card(st, h("div", "flex flex-col justify-between w-[45%]", kpi(0, None, False),
                              label(st, period, "period", "text-[11px]")),
                        h("div", "flex-1 flex items-end", sparkline(values, st.accent, "h-20", area)), row=True)
        cols = []
        for i in range(3):
            if i:
                cols.append(h("div", f"w-px self-stretch bg-[{st.border}]", role="divider"))
            cols.append(h("div", "flex-1", kpi(i, "text-2xl", False)))
        return card(st, header(st, rng.choice(("Overview", "Dashboard", "Performance")), "activity",
                               label(st, period, "period")), h("div", "flex gap-3", cols, role="metric row"),
                    justify="justify-between")
    parts: list[Node] = [header(st, rng.choice(("Overview", "Analytics", "Sales", "Traffic")), "activity",
                                label(st, period, "period"))]
    if variant == "tiles":
        parts.append(h("div", "grid grid-cols-2 gap-2", [kpi(i, "text-2xl", True) for i in range(4)],
                       role="metric grid"))
    elif variant == "chart":
        parts += [kpi(0, None, False), sparkline(values, st.accent, "h-40 mt-auto" if st.family == "large" else "h-24", area)]
    elif variant == "bars":
        days = W.DAYS if rng.random() < 0.5 else ("Jan", "Feb", "Mar", "Apr", "May", "Jun")
        heights = [rng.randint(25, 100) for _ in days]
        parts += [kpi(0, "text-3xl", False),
                  bar_chart(heights, st.soft if st.theme != "light" else st.accent + "55", st.accent,
                            None, [d[:3] for d in days], st.muted, active=heights.index(max(heights)))]
    else:
        for i in range(4):
            name, prefix, suffix = kpis[i]
            pct = rng.randint(15, 95)
            parts.append(h("div", "flex flex-col gap-1.5",
                           h("div", "flex justify-between", text("text-sm font-medium", name, "metric label"),
                             text("text-sm font-semibold", _kpi_value(rng, prefix, suffix), "metric value")),
                           progress_bar(pct, st.accent, st.soft), role="metric row"))
    return card(st, *parts)


@category("stock", ("small", "medium", "large"), theme_weights=(5, 6, 1))
def stock(rng: random.Random, st: Style) -> Node:
    picks = rng.sample(W.TICKERS, 4)

    def quote() -> tuple[str, float, str, bool]:
        price = rng.uniform(12, 950)
        change = rng.uniform(-6, 6)
        return f"${price:,.2f}", change, f"{'+' if change >= 0 else ''}{change:.2f}%", change >= 0

    def trend(up: bool, n: int = 16) -> list[float]:
        return walk_values(rng, n, 100, 4, 1.2 if up else -1.2)

    sym, name = picks[0]
    price, _, pct, up = quote()
    color = st.good if up else st.bad
    pill = chip(pct, color + "26", color, "change chip")
    if st.family == "small":
        return card(st, h("div", "flex flex-col", title(st, sym, "ticker symbol"), label(st, name, "company name")),
                    sparkline(trend(up), color, "h-10"),
                    h("div", "flex flex-col gap-1", text("text-xl font-bold", price, "price"), pill, role="quote"),
                    justify="justify-between")
    if st.family == "medium" and rng.random() < 0.5:
        return card(st, h("div", "flex flex-col justify-between w-[42%]",
                          h("div", "flex items-center gap-2", icon_tile("trend-up" if up else "trend-down", color + "26",
                                                                        color, "w-8 h-8", "w-4 h-4"),
                            h("div", "flex flex-col", title(st, sym, "ticker symbol"),
                              label(st, name, "company name", "text-[11px]")), role="ticker"),
                          h("div", "flex flex-col gap-1", text("text-2xl font-bold", price, "price"), pill,
                            role="quote")),
                    h("div", "flex-1 flex items-center", sparkline(trend(up), color, "h-24", color + "26")), row=True)
    rows = []
    # The large variant's own ticker is in its header; its watchlist shows the others.
    for i, (s, n) in enumerate(picks[:3] if st.family == "medium" else picks[1:]):
        p, _, c, u = quote()
        col = st.good if u else st.bad
        if i:
            rows.append(divider(st.border))
        rows.append(h("div", "flex items-center gap-3",
                      h("div", "flex flex-col w-20", text("text-sm font-bold", s, "ticker symbol"),
                        label(st, n, "company name", "text-[11px]", "truncate")),
                      h("div", "flex-1", sparkline(trend(u, 10), col, "h-6")),
                      h("div", "flex flex-col items-end w-20", text("text-sm font-semibold", p, "price"),
                        text(f"text-xs font-medium text-[{col}]", c, "change value")), role="watchlist row"))
    if st.family == "medium":
        return card(st, h("div", "flex flex-col gap-1.5", rows, role="watchlist"), justify="justify-center")
    ranges = ("1D", "1W", "1M", "3M", "1Y")
    active = rng.randrange(len(ranges))
    tabs = h("div", f"flex gap-1 p-1 rounded-lg bg-[{st.surface}]",
             [text("flex-1 text-center py-1 rounded-md text-xs font-semibold"
                   + (f" bg-[{st.background[0]}] shadow-sm" if i == active else f" text-[{st.muted}]"), r,
                   "selected range" if i == active else "range option") for i, r in enumerate(ranges)],
             role="range selector")
    head = h("div", "flex items-start justify-between",
             h("div", "flex flex-col", title(st, f"{name} ({sym})", "company name"),
               text(f"{st.hero_size} {st.hero_weight} leading-tight", price, "price")), pill, role="quote header")
    parts: list[Node] = [head, tabs, sparkline(trend(up, 24), color, "h-28", color + "26")]
    if rng.random() < 0.5:
        stats_cells = [h("div", "flex flex-col", label(st, k, "stat label", "text-[11px]"),
                         text("text-sm font-semibold", v, "stat value"), role="stat")
                       for k, v in (("Open", quote()[0]), ("High", quote()[0]), ("Low", quote()[0]),
                                    ("Vol", f"{rng.randint(2, 90)}.{rng.randint(0, 9)}M"))]
        parts.append(h("div", "grid grid-cols-4 gap-2", stats_cells, role="stats grid"))
    else:
        parts.append(h("div", "flex flex-col gap-1.5", rows[:3], role="watchlist"))
    return card(st, *parts)


@category("progress", ("small", "medium", "card"), theme_weights=(6, 4, 2))
def progress(rng: random.Random, st: Style) -> Node:
    projects = rng.sample(W.PROJECTS, 4)
    if st.family == "small":
        pct = rng.randint(5, 98)
        return card(st, ring(pct, st.accent, st.soft, "w-24 h-24",
                             text("text-xl font-bold", f"{pct}%", "percent")),
                    h("div", "flex flex-col items-center", title(st, projects[0], "project name", "truncate"),
                      label(st, f"{rng.randint(2, 9)} tasks left", "caption")), justify="items-center justify-center")
    variant = rng.choice(("bars", "stepper", "uploads"))
    if variant == "stepper":
        steps = rng.sample(("Cart", "Details", "Shipping", "Payment", "Review", "Done", "Order placed", "Packed",
                            "Shipped", "Delivered"), 4)
        current = rng.randrange(4)
        items = []
        for i, name in enumerate(steps):
            done = i < current
            circle_cls = ("flex items-center justify-center w-7 h-7 rounded-full "
                          + (f"bg-[{st.accent}]" if i <= current else f"border-2 border-[{st.border}]"))
            mark = (icon("check", st.on_accent, "w-4 h-4", 3) if done
                    else text(f"text-xs font-bold text-[{st.on_accent if i == current else st.muted}]", str(i + 1),
                              "step number"))
            items.append(h("div", "flex flex-col items-center gap-1.5 w-16",
                           h("div", circle_cls, mark, role="step marker"),
                           text("text-[11px] font-medium text-center" + ("" if i <= current else f" text-[{st.muted}]"),
                                name, "step label"), role="step"))
            if i < 3:
                items.append(h("div", f"flex-1 h-0.5 mt-3.5 bg-[{st.accent if i < current else st.border}]",
                               role="connector"))
        return card(st, header(st, rng.choice(("Order status", "Setup", "Checkout", "Onboarding")), None,
                               label(st, f"Step {current + 1} of 4", "step count")),
                    h("div", "flex items-start", items, role="stepper"), justify="justify-between")
    rows = []
    n = 2 if st.family == "medium" else rng.choice((3, 4))
    for i in range(n):
        pct = rng.randint(5, 100)
        if variant == "uploads":
            name = rng.choice(W.FILES)
            rows.append(h("div", "flex items-center gap-3",
                          icon_tile("check-circle" if pct == 100 else "arrow-up-right", st.soft, st.accent, "w-9 h-9",
                                    "w-4 h-4"),
                          h("div", "flex flex-col gap-1.5 flex-1 min-w-0",
                            h("div", "flex justify-between gap-2", text("text-sm font-medium truncate", name, "file name"),
                              label(st, f"{pct}%", "percent", "text-xs")),
                            progress_bar(pct, st.good if pct == 100 else st.accent, st.soft, "h-1.5")),
                          role="upload row"))
        else:
            rows.append(h("div", "flex flex-col gap-1.5",
                          h("div", "flex justify-between", text("text-sm font-medium", projects[i], "project name"),
                            text("text-sm font-semibold", f"{pct}%", "percent")),
                          progress_bar(pct, st.accent, st.soft, rng.choice(("h-2", "h-1.5", "h-2.5"))),
                          role="project row"))
    title_txt = "Uploads" if variant == "uploads" else rng.choice(("Projects", "Goals", "Progress"))
    return card(st, header(st, title_txt, "arrow-up-right" if variant == "uploads" else "target"),
                h("div", "flex flex-col gap-3", rows, role="progress list"), justify="justify-between")


# Apple-style ring colours; on light backgrounds a darker set keeps the value text readable.
_RINGS_DARK = (("Move", "#fa114f", "kcal"), ("Exercise", "#a3f900", "min"), ("Stand", "#00d8fe", "hr"))
_RINGS_LIGHT = (("Move", "#e11d48", "kcal"), ("Exercise", "#65a30d", "min"), ("Stand", "#0891b2", "hr"))


def _activity_rings(rings: tuple[tuple[str, str, str], ...], pcts: list[int], size: str) -> Node:
    circles = []
    for (_, color, _), pct, r in zip(rings, pcts, (42, 31, 20), strict=True):
        c = 2 * math.pi * r
        circles.append(h("circle", "", cx=50, cy=50, r=r, fill="none", stroke=color + "40", strokeWidth=9))
        circles.append(h("circle", "", cx=50, cy=50, r=r, fill="none", stroke=color, strokeWidth=9,
                         strokeLinecap="round", strokeDasharray=f"{c * min(pct, 100) / 100:.1f} {c:.1f}",
                         transform="rotate(-90 50 50)"))
    return h("svg", f"{size} shrink-0", circles, role="activity rings", viewBox="0 0 100 100")


@category("fitness", ("small", "medium", "large", "card"), theme_weights=(3, 7, 2))
def fitness(rng: random.Random, st: Style) -> Node:
    rings = _RINGS_LIGHT if st.theme == "light" else _RINGS_DARK
    pcts = [rng.randint(15, 100) for _ in rings]
    goals = (rng.choice((400, 500, 600)), 30, 12)
    steps = rng.randint(1200, 16000)

    def ring_stats() -> Node:
        rows = []
        for (name, color, unit), pct, goal in zip(rings, pcts, goals, strict=True):
            value_color = st.fg if st.theme == "gradient" else color
            rows.append(h("div", "flex flex-col",
                          h("div", "flex items-center gap-1.5",
                            h("div", f"w-2 h-2 rounded-full bg-[{color}]", role="ring colour dot"),
                            label(st, name, "ring name", "text-xs", "font-medium")),
                          text(f"text-lg font-bold leading-tight text-[{value_color}]",
                               f"{round(goal * pct / 100)}/{goal} {unit}", "ring value"), role="ring stat"))
        return h("div", "flex flex-col gap-1.5", rows, role="ring stats")

    if st.family == "small":
        if rng.random() < 0.5:
            return card(st, _activity_rings(rings, pcts, "w-full h-auto"), justify="justify-center")
        return card(st, h("div", "flex items-center gap-1.5", icon("footprints", st.accent, "w-4 h-4"),
                          title(st, "Steps"), role="header"),
                    h("div", "flex flex-col mt-auto", hero(st, f"{steps:,}", "step count", "text-3xl"),
                      label(st, f"of {rng.choice((8000, 10000, 12000)):,} goal", "goal")),
                    progress_bar(min(100, steps // 100), st.accent, st.soft))
    variant = rng.choice(("rings", "steps", "workout"))
    if st.family == "medium":
        if variant == "workout":
            variant = "rings"
        if variant == "rings":
            return card(st, _activity_rings(rings, pcts, "w-[120px] h-[120px]"), ring_stats(), row=True,
                        justify="items-center")
        heights = [rng.randint(20, 100) for _ in W.DAYS]
        return card(st, h("div", "flex flex-col justify-between w-[38%]",
                          header(st, "Steps", "footprints"), hero(st, f"{steps:,}", "step count", "text-3xl"),
                          label(st, f"{rng.uniform(1, 12):.1f} km today", "distance")),
                    h("div", "flex-1", bar_chart(heights, st.soft, st.accent, None, [d[0] for d in W.DAYS], st.muted,
                                                 96, active=6)), row=True)
    if variant == "workout" or st.family == "card":
        kind, ic = rng.choice((("Outdoor Run", "footprints"), ("Cycling", "activity"), ("HIIT", "flame"),
                               ("Yoga", "heart"), ("Swim", "droplet")))
        stats_ = [("Time", f"{rng.randint(18, 95)}:{rng.randint(0, 59):02d}"), ("Calories", f"{rng.randint(120, 900)}"),
                  ("Avg HR", f"{rng.randint(95, 172)} bpm"), ("Distance", f"{rng.uniform(1, 25):.2f} km")]
        tiles = [h("div", f"flex flex-col gap-0.5 p-3 {st.inner_radius} bg-[{st.surface}]",
                   label(st, k, "stat label", "text-xs"), text("text-xl font-bold", v, "stat value"), role="stat tile")
                 for k, v in stats_]
        return card(st, h("div", "flex items-center gap-3", icon_tile(ic, st.soft, st.accent, "w-11 h-11", "w-6 h-6"),
                          h("div", "flex flex-col", title(st, kind, "workout name"),
                            label(st, rng.choice(("Today, 7:10 AM", "Yesterday", "Mon, 6:30 PM")), "workout time")),
                          role="workout header"),
                    h("div", "grid grid-cols-2 gap-2", tiles, role="stats grid"))
    heights = [rng.randint(20, 100) for _ in W.DAYS]
    return card(st, header(st, "Activity", "activity", label(st, "Today", "date")),
                h("div", "flex items-center gap-5", _activity_rings(rings, pcts, "w-[130px] h-[130px]"), ring_stats(),
                  role="rings summary"),
                divider(st.border),
                bar_chart(heights, st.surface if st.theme == "light" else st.soft, rings[0][1], None,
                          [d[0] for d in W.DAYS], st.muted, 80, active=rng.randrange(7)))

"""Glanceable home-screen widgets: weather, clock, calendar, countdown, battery."""

from __future__ import annotations

import math
import random

from widget2code.data.synthetic import words as W
from widget2code.data.synthetic.categories.registry import category
from widget2code.data.synthetic.icons import icon
from widget2code.data.synthetic.parts import (
    card,
    chip,
    clock_time,
    divider,
    header,
    hero,
    icon_tile,
    label,
    progress_bar,
    ring,
    text,
    title,
    toggle,
)
from widget2code.data.synthetic.spec import Node, h
from widget2code.data.synthetic.style import Style

_SUN_COLOR = {"sun": "#fbbf24", "cloud-sun": "#fbbf24", "moon": "#fde68a"}


def _weather_icon(st: Style, name: str, size: str) -> Node:
    if name in _SUN_COLOR:
        return icon(name, "#f59e0b" if st.theme == "light" else _SUN_COLOR[name], size)
    return icon(name, st.accent, size)


@category("weather", ("small", "medium", "large"), theme_weights=(3, 3, 5))
def weather(rng: random.Random, st: Style) -> Node:
    city = rng.choice(W.CITIES)
    temp = rng.randint(-4, 33)
    cond, cond_icon = rng.choice([c for c in W.CONDITIONS if c[1] != ("cloud-rain" if temp <= 1 else "cloud-snow")])
    hi, lo = temp + rng.randint(1, 6), temp - rng.randint(2, 9)
    pin = rng.random() < 0.5
    city_row = h("div", "flex items-center gap-1", icon("map-pin", st.fg, "w-3.5 h-3.5") if pin else None,
                 title(st, city, "city name"), role="location")
    hl = label(st, f"H:{hi}° L:{lo}°", "high and low", extra="font-medium")
    cond_txt = text(f"text-sm font-medium text-[{st.fg}]", cond, "condition")

    def hourly(n: int) -> Node:
        start = rng.randrange(24)
        cells = []
        for i in range(n):
            hour = (start + i) % 24
            name = "Now" if i == 0 else f"{(hour % 12) or 12}{'AM' if hour < 12 else 'PM'}"
            ic = cond_icon if i == 0 else rng.choice(("cloud", cond_icon, "cloud-snow" if temp <= 1 else "cloud-rain",
                                                     "moon" if hour >= 20 or hour < 6 else "sun"))
            cells.append(h("div", "flex flex-col items-center gap-1.5",
                           label(st, name, "hour label", extra="font-medium"),
                           _weather_icon(st, ic, "w-5 h-5"),
                           text("text-sm font-semibold", f"{temp + rng.randint(-3, 3)}°", "hour temperature"),
                           role="hourly item"))
        return h("div", "flex justify-between", cells, role="hourly forecast row")

    def daily(n: int, bars: bool) -> Node:
        rows = []
        start = rng.randrange(7)
        for i in range(n):
            d_lo, d_hi = (lo, hi) if i == 0 else (lo + rng.randint(-3, 2), hi + rng.randint(-2, 3))
            day = "Today" if i == 0 else W.DAYS[(start + i) % 7]
            ic = cond_icon if i == 0 else rng.choice(("sun", "cloud-sun", "cloud", "cloud-snow" if lo < 1 else "cloud-rain"))
            cells: list[Node | None] = [
                text("w-12 text-sm font-medium", day, "day name"),
                _weather_icon(st, ic, "w-5 h-5"),
            ]
            if bars:
                left, width = rng.randint(0, 35), rng.randint(30, 60)
                fill = h("div", f"h-full ml-[{left}%] w-[{width}%] rounded-full bg-linear-to-r from-[#38bdf8] "
                         "to-[#fbbf24]", role="range fill")
                cells += [label(st, f"{d_lo}°", "low temperature", "text-sm", "w-8 text-right"),
                          h("div", f"flex-1 h-1.5 rounded-full bg-[{st.surface}]", fill, role="temperature range bar"),
                          text("w-8 text-sm font-semibold", f"{d_hi}°", "high temperature")]
            else:
                cells += [h("div", "flex-1"),
                          label(st, f"{d_lo}°", "low temperature", "text-sm"),
                          text("w-8 text-right text-sm font-semibold", f"{d_hi}°", "high temperature")]
            rows.append(h("div", "flex items-center gap-3", cells, role="daily row"))
        return h("div", "flex flex-col gap-2", rows, role="daily forecast list")

    def details() -> Node:
        items = rng.sample([("droplet", "Humidity", f"{rng.randint(20, 95)}%"),
                            ("wind", "Wind", f"{rng.randint(2, 40)} km/h"),
                            ("sun", "UV index", str(rng.randint(0, 10))),
                            ("thermometer", "Feels like", f"{temp + rng.randint(-4, 2)}°")], 3)
        tiles = [h("div", f"flex flex-col gap-1 p-2.5 {st.inner_radius} bg-[{st.surface}]",
                   h("div", "flex items-center gap-1", icon(ic, st.muted, "w-3.5 h-3.5"),
                     label(st, name, "detail label", "text-[11px]")),
                   text("text-sm font-semibold", value, "detail value"), role="detail tile")
                 for ic, name, value in items]
        return h("div", "grid grid-cols-3 gap-2", tiles, role="details grid")

    big_icon = _weather_icon(st, cond_icon, "w-10 h-10" if st.family != "small" else "w-8 h-8")
    if st.family == "small":
        if rng.random() < 0.5:
            return card(st, city_row, hero(st, f"{temp}°", "temperature"),
                        h("div", "flex flex-col gap-1 mt-auto", _weather_icon(st, cond_icon, "w-6 h-6"), cond_txt,
                          hl, role="conditions"))
        return card(st, h("div", "flex items-start justify-between", hero(st, f"{temp}°", "temperature"),
                          big_icon, role="top row"),
                    h("div", "flex flex-col gap-0.5 mt-auto", city_row, cond_txt, hl, role="conditions"),
                    justify="justify-between")
    current = h("div", "flex items-start justify-between", h(
        "div", "flex flex-col gap-1", city_row, hero(st, f"{temp}°", "temperature")),
        h("div", "flex flex-col items-end gap-1", big_icon, cond_txt, hl), role="current conditions")
    if st.family == "medium":
        variant = rng.choice(("hourly", "split", "details"))
        if variant == "hourly":
            return card(st, current, hourly(rng.choice((5, 6))), justify="justify-between")
        if variant == "details":
            return card(st, current, details(), justify="justify-between")
        left = h("div", "flex flex-col justify-between w-[40%]", city_row, hero(st, f"{temp}°", "temperature"),
                 h("div", "flex flex-col gap-0.5", big_icon, cond_txt, hl), role="current conditions")
        return card(st, left, h("div", "flex-1", daily(3, bars=False)), row=True)
    parts: list[Node] = [current]
    variant = rng.choice(("hourly+daily", "daily", "details+daily", "hourly+details"))
    if "hourly" in variant:
        parts += [divider(st.border), hourly(rng.choice((5, 6)))]
    if "details" in variant:
        parts.append(details())
    if "daily" in variant:
        parts += [divider(st.border), daily(4 if variant != "daily" else 6, bars=rng.random() < 0.6)]
    return card(st, *parts)


def _analog(st: Style, hour: int, minute: int, size: str) -> Node:
    ticks = []
    for i in range(12):
        a = math.radians(i * 30)
        r1 = 40 if i % 3 else 36
        ticks.append(h("line", "", x1=round(50 + r1 * math.sin(a), 1), y1=round(50 - r1 * math.cos(a), 1),
                       x2=round(50 + 44 * math.sin(a), 1), y2=round(50 - 44 * math.cos(a), 1),
                       stroke=st.muted, strokeWidth=3 if i % 3 == 0 else 1.5, strokeLinecap="round"))
    ha = math.radians((hour % 12) * 30 + minute / 2)
    ma = math.radians(minute * 6)
    hands = [
        h("line", "", x1=50, y1=50, x2=round(50 + 24 * math.sin(ha), 1), y2=round(50 - 24 * math.cos(ha), 1),
          stroke=st.fg, strokeWidth=4, strokeLinecap="round"),
        h("line", "", x1=50, y1=50, x2=round(50 + 34 * math.sin(ma), 1), y2=round(50 - 34 * math.cos(ma), 1),
          stroke=st.accent, strokeWidth=2.5, strokeLinecap="round"),
        h("circle", "", cx=50, cy=50, r=3, fill=st.accent),
    ]
    face = h("circle", "", cx=50, cy=50, r=48, fill=st.surface)
    return h("svg", size, face, ticks, hands, role="analog clock face", viewBox="0 0 100 100")


@category("clock", ("small", "medium", "card"), theme_weights=(4, 5, 2), fonts=("font-sans", "font-mono"))
def clock(rng: random.Random, st: Style) -> Node:
    twelve = rng.random() < 0.6
    now, hour, minute = clock_time(rng, twelve)
    city = rng.choice(W.CITIES)
    date = f"{rng.choice(W.WEEKDAYS)}, {rng.choice(W.MONTHS)} {rng.randint(1, 28)}"
    if st.family == "small":
        if rng.random() < 0.5:
            return card(st, _analog(st, hour, minute, "w-full h-auto"), label(st, city, "city name", "text-xs",
                        "text-center font-medium"), justify="justify-center")
        time_txt, _, ampm = now.partition(" ")
        return card(st, label(st, city.upper(), "city name", "text-[11px]", "font-semibold tracking-wider"),
                    h("div", "flex items-baseline gap-1", hero(st, time_txt, "time"),
                      label(st, ampm, "am/pm", "text-sm") if ampm else None, role="time row"),
                    label(st, date, "date", "text-xs", "mt-auto"))
    if st.family == "medium" or rng.random() < 0.4:
        cities = rng.sample(W.CITIES, rng.choice((3, 4)))
        analog = rng.random() < 0.5
        cols = []
        for i, c in enumerate(cities):
            shift = 0 if i == 0 else rng.choice([s for s in range(-9, 10) if s])
            hh = (hour + shift) % 24
            offset = "Local" if i == 0 else f"{shift:+d}h"
            face = _analog(st, hh, minute, "w-14 h-14") if analog else None
            cols.append(h("div", "flex flex-col items-center gap-1", face,
                          text("text-xs font-semibold", c, "city name"),
                          text(f"text-lg {st.hero_weight} leading-none", f"{(hh % 12) or 12}:{minute:02d}", "time")
                          if not analog else None,
                          label(st, offset, "time offset", "text-[11px]"), role="world clock"))
        head = header(st, "World Clock", "globe") if rng.random() < 0.4 else None
        return card(st, head, h("div", "flex justify-between", cols, role="world clock row"),
                    justify="justify-between" if head else "justify-center")
    # alarms list
    rows = []
    for i in range(rng.choice((2, 3, 4))):
        t, _, _ = clock_time(rng, twelve)
        on = rng.random() < 0.6 or i == 0
        rows.append(h("div", "flex items-center justify-between",
                      h("div", "flex flex-col", text(f"text-2xl {st.hero_weight} {st.tracking} leading-tight".replace("  ", " "),
                                                     t, "alarm time"),
                        label(st, rng.choice(("Wake up", "Gym", "Meds", "Standup", "Every weekday", "Weekend")),
                              "alarm label")),
                      toggle(on, st.accent if st.theme != "gradient" else "#22c55e", st.border), role="alarm row"))
    parts: list[Node] = [header(st, "Alarms", "clock", label(st, f"Next in {rng.randint(1, 11)}h {rng.randint(1, 59)}m",
                                                            "next alarm"))]
    for i, r in enumerate(rows):
        if i:
            parts.append(divider(st.border))
        parts.append(r)
    return card(st, *parts)


@category("calendar", ("small", "medium", "large"), theme_weights=(6, 4, 1))
def calendar(rng: random.Random, st: Style) -> Node:
    month_i, day = rng.randrange(12), rng.randint(1, 28)
    weekday_i = rng.randrange(7)
    colors = ("#ef4444", "#3b82f6", "#22c55e", "#a855f7", "#f59e0b")

    def events(n: int) -> Node:
        rows = []
        for _ in range(n):
            start, _, _ = clock_time(rng)
            bar = h("div", f"w-1 self-stretch rounded-full bg-[{rng.choice(colors)}]", role="event colour bar")
            rows.append(h("div", "flex gap-2", bar,
                          h("div", "flex flex-col min-w-0", text("text-sm font-semibold truncate", rng.choice(W.EVENTS),
                                                                 "event title"),
                            label(st, f"{start} · {rng.choice(W.PLACES)}", "event time", extra="truncate")),
                          role="event"))
        return h("div", "flex flex-col gap-2.5", rows, role="event list")

    weekday_lbl = text(f"text-xs font-bold uppercase tracking-wide text-[{st.accent if st.theme != 'gradient' else st.muted}]",
                       W.WEEKDAYS[weekday_i], "weekday")
    big_day = hero(st, str(day), "day number")
    if st.family == "small":
        if rng.random() < 0.5:
            return card(st, weekday_lbl, big_day, h("div", "mt-auto", events(1)))
        return card(st, h("div", "flex items-baseline gap-2", weekday_lbl, title(st, str(day), "day number"),
                          role="date row"), events(2))
    if st.family == "medium":
        if rng.random() < 0.5:
            left = h("div", "flex flex-col w-[30%]", weekday_lbl, big_day,
                     label(st, W.MONTHS[month_i], "month", "text-xs", "mt-1"), role="date column")
            return card(st, left, h("div", "flex-1", events(rng.choice((2, 3)))), row=True)
        strip = []
        for i in range(7):
            d = day - weekday_i + i
            sel = i == weekday_i
            strip.append(h("div", "flex flex-col items-center gap-1 flex-1",
                           label(st, W.DAYS[i][0], "weekday letter", "text-[11px]", "font-semibold"),
                           text("flex items-center justify-center w-7 h-7 rounded-full text-sm font-semibold"
                                + (f" bg-[{st.accent}] text-[{st.on_accent}]" if sel else ""),
                                str(d if d > 0 else d + 30), "selected day" if sel else "day"),
                           role="week day"))
        return card(st, header(st, f"{W.MONTHS[month_i]} {2024 + rng.randint(0, 2)}", "calendar"),
                    h("div", "flex", strip, role="week strip"), events(1))
    # large: month grid
    first = rng.randrange(7)
    length = rng.choice((30, 31))
    cells: list[Node] = [label(st, d[0], "weekday letter", "text-[11px]", "text-center font-semibold") for d in W.DAYS]
    cells += [h("div", "h-8", role="blank day") for _ in range(first)]
    busy = set(rng.sample(range(1, length + 1), 5))
    for d in range(1, length + 1):
        if d == day:
            cells.append(text(f"flex items-center justify-center w-8 h-8 mx-auto rounded-full bg-[{st.accent}] "
                              f"text-[{st.on_accent}] text-sm font-bold", str(d), "today"))
        else:
            extra = f" underline decoration-2 decoration-[{st.accent}]" if d in busy else ""
            cells.append(text(f"flex items-center justify-center h-8 text-sm{extra}", str(d),
                              "day with event" if d in busy else "day"))
    parts: list[Node] = [header(st, W.MONTHS[month_i], None, label(st, str(2024 + rng.randint(0, 2)), "year",
                                                                    "text-sm")),
                         h("div", "grid grid-cols-7 gap-y-1", cells, role="month grid")]
    if first + length <= 35 and rng.random() < 0.7:
        parts += [divider(st.border), events(1)]
    return card(st, *parts)


@category("countdown", ("small", "medium", "card"), theme_weights=(3, 4, 5))
def countdown(rng: random.Random, st: Style) -> Node:
    event = rng.choice(W.COUNTDOWN_EVENTS)
    days, hours, mins = rng.randint(1, 240), rng.randint(0, 23), rng.randint(0, 59)
    date = f"{rng.choice(W.MONTHS)[:3]} {rng.randint(1, 28)}, {2025 + rng.randint(0, 1)}"
    ic = rng.choice(("calendar", "star", "plane", "flame", "heart", "hourglass"))
    if st.family == "small":
        if rng.random() < 0.5:
            return card(st, h("div", "flex items-center gap-1.5", icon(ic, st.accent, "w-4 h-4"),
                              title(st, event, extra="truncate"), role="header"),
                        h("div", "flex flex-col mt-auto", hero(st, str(days), "days left"),
                          label(st, "days to go", "caption", "text-xs", "mt-1")),
                        progress_bar(rng.randint(10, 95), st.accent, st.soft, "h-1.5"))
        pct = rng.randint(10, 95)
        return card(st, ring(pct, st.accent, st.soft, "w-24 h-24",
                             text("text-2xl font-bold leading-none", str(days), "days left"),
                             label(st, "days", "caption", "text-[10px]"), stroke=3),
                    title(st, event, extra="text-center truncate"), justify="items-center justify-center")
    if st.family == "medium" or rng.random() < 0.5:
        units = [("Days", days), ("Hours", hours), ("Minutes", mins)]
        if rng.random() < 0.5:
            units.append(("Seconds", rng.randint(0, 59)))
        boxes = [h("div", f"flex flex-col items-center flex-1 py-2 {st.inner_radius} bg-[{st.surface}]",
                   text(f"text-2xl {st.hero_weight} leading-tight", f"{v:02d}", "unit value"),
                   label(st, u, "unit label", "text-[11px]", "uppercase tracking-wide"), role="time unit box")
                 for u, v in units]
        return card(st, header(st, event, ic, label(st, date, "event date")),
                    h("div", "flex gap-2", boxes, role="countdown units row"), justify="justify-between")
    rows = []
    for name in rng.sample(W.COUNTDOWN_EVENTS, rng.choice((3, 4))):
        d = rng.randint(1, 300)
        rows.append(h("div", "flex items-center gap-3",
                      icon_tile(rng.choice(("calendar", "star", "plane", "flame", "heart")), st.soft, st.accent),
                      h("div", "flex flex-col flex-1 min-w-0", text("text-sm font-semibold truncate", name, "event name"),
                        label(st, f"{rng.choice(W.MONTHS)[:3]} {rng.randint(1, 28)}", "event date")),
                      chip(f"{d} days", st.soft, st.accent if st.theme != "gradient" else st.fg, "days left chip"),
                      role="countdown row"))
    return card(st, header(st, "Upcoming", "hourglass"), h("div", "flex flex-col gap-3", rows, role="countdown list"))


@category("battery", ("small", "medium", "large"), theme_weights=(4, 6, 1))
def battery(rng: random.Random, st: Style) -> Node:
    devices = rng.sample(W.DEVICES, 4)
    levels = [rng.randint(5, 100) for _ in devices]
    charging = rng.randrange(4)

    def level_color(v: int) -> str:
        return st.bad if v <= 20 else (st.good if st.theme != "gradient" else st.fg)

    def ring_cell(i: int, size: str, show_pct: bool) -> Node:
        ic = devices[i][1]
        center = icon("zap" if i == charging else ic, st.fg, "w-5 h-5")
        return h("div", "flex flex-col items-center gap-1",
                 ring(levels[i], level_color(levels[i]), st.soft if st.theme != "light" else st.surface, size,
                      center, stroke=3),
                 text("text-xs font-semibold", f"{levels[i]}%", "battery percent") if show_pct else None,
                 role="device ring")

    if st.family == "small":
        if rng.random() < 0.5:
            return card(st, h("div", "grid grid-cols-2 gap-3 place-items-center", [ring_cell(i, "w-14 h-14", False)
                                                                                   for i in range(4)],
                              role="ring grid"), justify="justify-center")
        rows = [h("div", "flex flex-col gap-1.5",
                  h("div", "flex items-center justify-between", icon(devices[i][1], st.fg, "w-4 h-4"),
                    text("text-sm font-semibold", f"{levels[i]}%", "battery percent")),
                  progress_bar(levels[i], level_color(levels[i]), st.surface, "h-1.5"), role="device row")
                for i in range(2)]
        return card(st, header(st, "Batteries", "battery"), rows, justify="justify-between")
    if st.family == "medium" and rng.random() < 0.5:
        return card(st, h("div", "flex justify-between", [ring_cell(i, "w-16 h-16", True) for i in range(4)],
                          role="ring row"), justify="justify-center")
    rows = []
    for i in range(4 if st.family == "large" else 3):
        name, ic = devices[i]
        rows.append(h("div", "flex items-center gap-3",
                      icon_tile(ic, st.surface, st.fg, "w-9 h-9", "w-4 h-4"),
                      h("div", "flex flex-col gap-1 flex-1",
                        h("div", "flex items-center justify-between",
                          text("text-sm font-medium", name, "device name"),
                          h("div", "flex items-center gap-1",
                            icon("zap", st.good, "w-3.5 h-3.5") if i == charging else None,
                            text("text-sm font-semibold", f"{levels[i]}%", "battery percent"))),
                        progress_bar(levels[i], level_color(levels[i]), st.surface, "h-1.5")),
                      role="device row"))
    parts: list[Node] = []
    if st.family == "large":
        parts.append(h("div", "flex items-end justify-between",
                       h("div", "flex flex-col gap-1", label(st, devices[0][0], "main device", "text-sm"),
                         hero(st, f"{levels[0]}%", "main battery percent")),
                       icon("battery", level_color(levels[0]), "w-12 h-12", 1.5), role="main device"))
        parts.append(divider(st.border))
    return card(st, *parts, h("div", "flex flex-col gap-3", rows, role="device list"))

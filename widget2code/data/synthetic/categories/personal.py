"""Personal and system widgets: todo, profile, settings."""

from __future__ import annotations

import random
from dataclasses import replace

from widget2code.data.synthetic import words as W
from widget2code.data.synthetic.categories.registry import category
from widget2code.data.synthetic.icons import icon
from widget2code.data.synthetic.parts import (
    avatar,
    button,
    card,
    checkbox,
    chip,
    divider,
    header,
    icon_tile,
    label,
    person,
    progress_bar,
    text,
    title,
    toggle,
)
from widget2code.data.synthetic.spec import Node, h
from widget2code.data.synthetic.style import Style

_VALUES = {"Wi-Fi": ("Home", "Office", "Off"), "Bluetooth": ("On", "Off", "2 devices"),
           "Location": ("While Using", "Always", "Never"), "Sounds": ("Default", "Chime", "Silent"),
           "Focus": ("Off", "Work", "Sleep"), "Display": ("Auto", "Light", "Dark")}
_TAGS = (("Work", "#3b82f6"), ("Home", "#22c55e"), ("Urgent", "#ef4444"), ("Errand", "#f59e0b"),
         ("Health", "#ec4899"))


@category("todo", ("small", "medium", "large", "card"), theme_weights=(7, 4, 1))
def todo(rng: random.Random, st: Style) -> Node:
    n = {"small": 3, "medium": 3, "large": rng.choice((5, 6)), "card": rng.choice((4, 5))}[st.family]
    tasks = rng.sample(W.TASKS, n)
    done = [rng.random() < 0.4 for _ in tasks]
    n_done = sum(done)
    with_tags = st.family != "small" and rng.random() < 0.5
    with_times = st.family != "small" and not with_tags and rng.random() < 0.5
    accent = st.accent

    def row(i: int) -> Node:
        task_cls = "text-sm flex-1 truncate" + (f" line-through text-[{st.muted}]" if done[i] else "")
        trailing = None
        if with_tags:
            tag, color = rng.choice(_TAGS)
            trailing = chip(tag, color + "26", color if st.theme == "light" else "#ffffff", "tag chip")
        elif with_times:
            trailing = label(st, f"{rng.randint(7, 11)}:{rng.choice(('00', '15', '30', '45'))}", "due time")
        return h("div", "flex items-center gap-2.5", checkbox(done[i], accent, st.on_accent, st.border),
                 text(task_cls, tasks[i], "task text"), trailing, role="task row")

    head = header(st, rng.choice(("Today", "To-do", "Reminders", "My tasks")), "check-circle",
                  label(st, f"{n_done}/{n}", "done count", "text-xs", "font-semibold"))
    parts: list[Node] = [head]
    if st.family != "small" and rng.random() < 0.5:
        parts.append(progress_bar(round(n_done / n * 100), accent, st.soft, "h-1.5"))
    if st.family in ("large", "card") and rng.random() < 0.5:
        split = n // 2
        for name, idx in (("Morning", range(split)), ("Afternoon", range(split, n))):
            parts.append(h("div", "flex flex-col gap-2", label(st, name.upper(), "group label", "text-[11px]",
                                                                 "font-bold tracking-wider"),
                           [row(i) for i in idx], role="task group"))
    else:
        parts.append(h("div", "flex flex-col gap-2.5", [row(i) for i in range(n)], role="task list"))
    if st.family in ("large", "card") and rng.random() < 0.6:
        parts.append(h("div", f"flex items-center gap-2 mt-auto text-[{accent}]", icon("plus", accent, "w-4 h-4"),
                       text("text-sm font-semibold", "Add task", "add task label"), role="add task row"))
    return card(st, *parts)


@category("profile", ("small", "medium", "card"), theme_weights=(6, 4, 2))
def profile(rng: random.Random, st: Style) -> Node:
    name = person(rng)
    handle = "@" + name.split()[0].lower() + rng.choice(("", "_", ".")) + name.split()[1][:3].lower()
    job = rng.choice(W.ROLES)
    av_bg = rng.choice(("#fde68a", "#bfdbfe", "#c7d2fe", "#fbcfe8", "#bbf7d0", "#fed7aa"))
    stats_ = [("Posts", str(rng.randint(12, 480))), ("Followers", f"{rng.uniform(1, 99):.1f}k"),
              ("Following", str(rng.randint(40, 900)))]
    follow = button(rng.choice(("Follow", "Connect", "Add friend")), st.accent, st.on_accent, "flex-1",
                    icon_name="plus" if rng.random() < 0.5 else None)
    message = button("Message", st.surface, st.fg, "flex-1", "secondary button")
    if st.family == "small":
        return card(st, avatar(name, av_bg, "#1f2937", "w-14 h-14", "text-lg"),
                    h("div", "flex flex-col mt-auto", title(st, name, "name", "truncate"),
                      label(st, job, "job title", "text-xs", "truncate")),
                    h("div", "flex items-center gap-1", h("div", "w-2 h-2 rounded-full bg-[#22c55e]", role="status dot"),
                      label(st, "Available", "status", "text-[11px]"), role="status row"))

    def stat_row() -> Node:
        cells = [h("div", "flex flex-col items-center flex-1", text("text-base font-bold", v, "stat value"),
                   label(st, k, "stat label", "text-[11px]"), role="stat") for k, v in stats_]
        return h("div", f"flex py-2 {st.inner_radius} bg-[{st.surface}]", cells, role="stats row")

    if st.family == "medium":
        return card(st, h("div", "flex items-center gap-3", avatar(name, av_bg, "#1f2937", "w-14 h-14", "text-lg"),
                          h("div", "flex flex-col flex-1 min-w-0", title(st, name, "name", "truncate"),
                            label(st, f"{job} · {handle}", "job title", "text-xs", "truncate")),
                          role="identity row"), stat_row(), justify="justify-between")
    variant = rng.choice(("centered", "cover", "row"))
    skills = (h("div", "flex flex-wrap gap-1.5", [chip(s, st.soft, st.accent if st.theme != "gradient" else st.fg,
                                                        "skill chip") for s in rng.sample(W.SKILLS, 3)],
                role="skill chips") if rng.random() < 0.5 else None)
    actions = h("div", "flex gap-2", follow, message if rng.random() < 0.7 else None, role="action buttons")
    if variant == "row":
        return card(st, h("div", "flex items-center gap-3", avatar(name, av_bg, "#1f2937", "w-12 h-12"),
                          h("div", "flex flex-col flex-1 min-w-0", title(st, name, "name", "truncate"),
                            label(st, handle, "handle", "text-xs")),
                          icon("more", st.muted, "w-5 h-5", 3), role="identity row"),
                    label(st, f"{job} based in {rng.choice(W.CITIES)}.", "bio", "text-sm"), skills, actions)
    ident = h("div", "flex flex-col items-center text-center", title(st, name, "name"),
              label(st, f"{job} · {handle}", "job title", "text-xs"), role="identity")
    if variant == "cover":
        a, b = rng.choice((("#60a5fa", "#a78bfa"), ("#f472b6", "#fb923c"), ("#34d399", "#22d3ee")))
        cover = h("div", f"h-20 -mx-{st.pad} -mt-{st.pad} bg-linear-to-r from-[{a}] to-[{b}]", role="cover banner")
        av = h("div", f"-mt-12 self-center p-1 rounded-full bg-[{st.background[0]}]",
               avatar(name, av_bg, "#1f2937", "w-16 h-16", "text-xl"), role="avatar frame")
        return card(replace(st, radius=f"{st.radius} overflow-hidden"),
                    cover, av, ident, stat_row(), skills, actions)
    return card(st, h("div", "self-center", avatar(name, av_bg, "#1f2937", "w-16 h-16", "text-xl"),
                      role="avatar wrapper"), ident, stat_row(), skills, actions)


@category("settings", ("medium", "large", "card"), theme_weights=(6, 5, 1))
def settings(rng: random.Random, st: Style) -> Node:
    items = rng.sample(W.SETTINGS, 6)
    tile_colors = ("#3b82f6", "#6366f1", "#ef4444", "#8b5cf6", "#22c55e", "#f97316", "#0ea5e9", "#64748b")
    variant = rng.choice(("toggles", "chevrons", "tiles", "sliders"))
    if st.family == "medium" and variant in ("toggles", "chevrons"):
        variant = rng.choice(("tiles", "sliders"))
    if st.family == "large" and variant == "sliders":
        variant = rng.choice(("toggles", "chevrons"))
    if variant == "tiles":
        n = 4 if st.family == "medium" else 6
        tiles = []
        for name, ic in items[:n]:
            on = rng.random() < 0.6
            tiles.append(h("div", f"flex items-center gap-2 p-2.5 {st.inner_radius} "
                           + (f"bg-[{st.accent}]" if on else f"bg-[{st.surface}]"),
                           h("div", "flex items-center justify-center w-8 h-8 rounded-full "
                             + (f"bg-[{st.on_accent}33]" if on else f"bg-[{st.border}]"),
                             icon(ic, st.on_accent if on else st.fg, "w-4 h-4"), role="tile icon"),
                           h("div", "flex flex-col min-w-0",
                             text("text-xs font-semibold truncate" + (f" text-[{st.on_accent}]" if on else ""), name,
                                  "setting name"),
                             text("text-[11px]" + (f" text-[{st.on_accent}]" if on else f" text-[{st.muted}]"),
                                  "On" if on else "Off", "setting state")),
                           role="active tile" if on else "inactive tile"))
        grid = h("div", f"grid grid-cols-{2 if st.width < 380 or st.family != 'card' else 3} gap-2", tiles,
                 role="quick settings grid")
        if st.family == "medium":
            return card(st, grid, justify="justify-center")
        return card(st, title(st, rng.choice(("Control Center", "Quick Settings"))), grid)
    if variant == "sliders":
        rows = []
        for name, ic in rng.sample((("Brightness", "sun"), ("Volume", "volume"), ("Night Shift", "moon"),
                                    ("Zoom", "search")), 2):
            pct = rng.randint(25, 95)
            rows.append(h("div", "flex flex-col gap-2", label(st, name, "slider label", "text-xs", "font-semibold"),
                          h("div", f"relative h-9 rounded-full bg-[{st.surface}] overflow-hidden",
                            h("div", f"absolute inset-y-0 left-0 w-[{pct}%] bg-[{st.accent}]", role="slider fill"),
                            h("div", "absolute inset-y-0 left-3 flex items-center",
                              icon(ic, st.on_accent, "w-4 h-4")),
                            role="slider"), role="slider row"))
        return card(st, rows, justify="justify-center")
    rows = []
    for i, (name, ic) in enumerate(items[: 4 if st.family == "card" else 6]):
        if i:
            rows.append(divider(st.border))
        if variant == "toggles":
            trailing = toggle(rng.random() < 0.6, st.accent if st.theme == "light" else "#22c55e", st.border)
        else:
            trailing = h("div", "flex items-center gap-1",
                         label(st, rng.choice(_VALUES.get(name, ("On", "Off"))), "setting value", "text-sm"),
                         icon("chevron-right", st.muted, "w-4 h-4"), role="value with chevron")
        rows.append(h("div", "flex items-center gap-3",
                      icon_tile(ic, rng.choice(tile_colors), "#ffffff", "w-8 h-8", "w-4 h-4", "rounded-lg",
                                "setting icon"),
                      text("text-sm font-medium flex-1", name, "setting name"), trailing, role="setting row"))
    return card(st, title(st, "Settings", "title") if rng.random() < 0.5 else None,
                h("div", f"flex flex-col gap-2.5 p-3 {st.inner_radius} bg-[{st.surface}]" if rng.random() < 0.5
                  else "flex flex-col gap-2.5", rows, role="settings group"))

"""Web-style form and commerce widgets: login, search, pricing."""

from __future__ import annotations

import random

from widget2code.data.synthetic import words as W
from widget2code.data.synthetic.categories.registry import category
from widget2code.data.synthetic.icons import icon
from widget2code.data.synthetic.parts import (
    button,
    card,
    checkbox,
    chip,
    divider,
    hero,
    icon_tile,
    label,
    text,
    title,
)
from widget2code.data.synthetic.spec import Node, h
from widget2code.data.synthetic.style import Style


def _field(st: Style, name: str | None, placeholder: str, ic: str | None, kind: str = "text") -> Node:
    box = h("div", f"flex items-center gap-2 h-10 px-3 {st.inner_radius} border border-[{st.border}] "
            f"bg-[{st.surface}]", icon(ic, st.muted, "w-4 h-4") if ic else None,
            h("input", f"flex-1 min-w-0 bg-transparent text-sm outline-none placeholder:text-[{st.muted}]",
              role="text input", type=kind, placeholder=placeholder), role="input box")
    if name is None:
        return box
    return h("div", "flex flex-col gap-1.5", text("text-xs font-semibold", name, "field label"), box,
             role="form field")


@category("login", ("card",), theme_weights=(7, 4, 0))
def login(rng: random.Random, st: Style) -> Node:
    brand = rng.choice(W.BRANDS)
    labelled = rng.random() < 0.6
    with_icons = rng.random() < 0.5
    variant = rng.choice(("password", "social", "magic"))
    signup = rng.random() < 0.25
    heading, sub_heading = rng.choice(
        [("Create your account", f"Start using {brand} in minutes."), ("Join " + brand, "It only takes a minute.")]
        if signup else
        [("Welcome back", "Good to see you again."), (f"Sign in to {brand}", "Enter your details to continue."),
         ("Log in", f"Use your {brand} account.")])
    head = h("div", "flex flex-col items-center gap-2 text-center" if rng.random() < 0.5 else "flex flex-col gap-2",
             icon_tile(rng.choice(("zap", "star", "shield", "globe")), st.accent, st.on_accent, "w-10 h-10",
                       "w-5 h-5", st.inner_radius, "brand logo"),
             text(f"text-xl font-bold {st.tracking}".strip(), heading, "heading"),
             label(st, sub_heading, "subheading", "text-sm"), role="form header")
    email = _field(st, "Email" if labelled else None, "you@example.com", "mail" if with_icons else None, "email")
    parts: list[Node] = [head]
    if variant == "social":
        parts.append(h("div", "flex gap-2", [button(p, st.surface, st.fg, f"flex-1 border border-[{st.border}]",
                                                    "social button", ic) for p, ic in
                                             (("Google", "globe"), ("Apple", "star"))], role="social buttons"))
        parts.append(h("div", "flex items-center gap-3", h("div", f"flex-1 h-px bg-[{st.border}]", role="divider"),
                       label(st, "or", "separator text"), h("div", f"flex-1 h-px bg-[{st.border}]", role="divider"),
                       role="or separator"))
    parts.append(email)
    if variant != "magic":
        parts.append(_field(st, "Password" if labelled else None, "••••••••", "lock" if with_icons else None,
                            "password"))
        if not signup and rng.random() < 0.6:
            parts.append(h("div", "flex items-center justify-between",
                           h("div", "flex items-center gap-2", checkbox(rng.random() < 0.5, st.accent, st.on_accent,
                                                                        st.border),
                             text("text-xs", "Remember me", "checkbox label"), role="remember me"),
                           text(f"text-xs font-semibold text-[{st.accent}]", "Forgot password?", "link"),
                           role="options row"))
    action = "Create account" if signup else "Sign in"
    parts.append(button("Send magic link" if variant == "magic" else action, st.accent, st.on_accent, "w-full"))
    if rng.random() < 0.6:
        question, link = ("Have an account?", "Log in") if signup else ("No account?", "Sign up")
        parts.append(h("div", "flex justify-center gap-1", label(st, question, "footer text"),
                       text(f"text-xs font-semibold text-[{st.accent}]", link, "link"), role="footer"))
    return card(st, *parts)


@category("search", ("medium", "card"), theme_weights=(6, 5, 1))
def search(rng: random.Random, st: Style) -> Node:
    queries = rng.sample(W.SEARCHES, 5)
    kbd = rng.random() < 0.4
    bar = h("div", f"flex items-center gap-2 h-11 px-3 rounded-full border border-[{st.border}] bg-[{st.surface}]"
            if rng.random() < 0.5 else f"flex items-center gap-2 h-11 px-3 {st.inner_radius} bg-[{st.surface}]",
            icon("search", st.muted, "w-4 h-4"),
            h("input", f"flex-1 min-w-0 bg-transparent text-sm outline-none placeholder:text-[{st.muted}]",
              role="search input", type="text", placeholder=rng.choice(("Search", "Search anything...",
                                                                        "What are you looking for?"))),
            text(f"px-1.5 py-0.5 rounded-md border border-[{st.border}] text-[11px] font-semibold text-[{st.muted}]",
                 "⌘K", "shortcut key") if kbd else None, role="search bar")
    variant = rng.choice(("recent", "chips", "results", "trending"))
    if st.family == "medium":
        variant = rng.choice(("chips", "bar", "recent"))
    if variant == "bar":
        return card(st, title(st, rng.choice(("Search", "Find anything", "Explore"))), bar, justify="justify-center")
    parts: list[Node] = [bar]
    if variant == "chips":
        active = rng.randrange(4)
        parts.append(h("div", "flex flex-wrap gap-2",
                       [text("px-3 py-1 rounded-full text-xs font-semibold "
                             + (f"bg-[{st.accent}] text-[{st.on_accent}]" if i == active
                                else f"border border-[{st.border}] text-[{st.muted}]"), c,
                             "active filter" if i == active else "filter chip")
                        for i, c in enumerate(rng.sample(("All", "Images", "News", "Videos", "Places", "Shopping",
                                                          "Books"), 4))], role="filter chips"))
        if st.family == "card":
            parts.append(label(st, f"About {rng.randint(2, 900)},000 results", "result count"))
        return card(st, *parts, justify="justify-center" if st.family == "medium" else "")
    n = 3 if st.family == "medium" else rng.choice((3, 4))
    rows = []
    if variant == "recent":
        parts.append(h("div", "flex justify-between", label(st, "RECENT", "section label", "text-[11px]",
                                                             "font-bold tracking-wider"),
                       text(f"text-xs font-semibold text-[{st.accent}]", "Clear", "link"), role="section header"))
        for q in queries[:n]:
            rows.append(h("div", "flex items-center gap-3", icon("clock", st.muted, "w-4 h-4"),
                          text("text-sm flex-1", q, "recent query"), icon("arrow-up-right", st.muted, "w-4 h-4"),
                          role="recent row"))
    elif variant == "trending":
        parts.append(label(st, "TRENDING", "section label", "text-[11px]", "font-bold tracking-wider"))
        for i, q in enumerate(queries[:n]):
            rows.append(h("div", "flex items-center gap-3",
                          text(f"w-5 text-sm font-bold text-[{st.accent}]", str(i + 1), "rank"),
                          text("text-sm flex-1", q, "trending query"),
                          icon("trend-up", st.good, "w-4 h-4"), role="trending row"))
    else:
        for q in queries[:n]:
            rows.append(h("div", "flex items-center gap-3",
                          icon_tile(rng.choice(("globe", "bookmark", "map-pin", "star", "newspaper")), st.soft,
                                    st.accent, "w-9 h-9", "w-4 h-4"),
                          h("div", "flex flex-col min-w-0", text("text-sm font-semibold truncate", q.capitalize(),
                                                                 "result title"),
                            label(st, f"{rng.choice(W.BRANDS).lower()}.com", "result url", "text-xs")),
                          role="result row"))
    parts.append(h("div", "flex flex-col gap-3", rows, role="result list"))
    return card(st, *parts)


@category("pricing", ("card",), theme_weights=(6, 4, 2))
def pricing(rng: random.Random, st: Style) -> Node:
    plans = rng.sample(W.PLANS, 2)
    feats = rng.sample(W.FEATURES, 6)
    yearly = rng.random() < 0.5
    price = rng.choice((9, 12, 15, 19, 24, 29, 39, 49))

    def features(fs: list[str], color: str, small: bool = False) -> Node:
        rows = [h("div", "flex items-center gap-2", icon("check", color, "w-4 h-4", 2.5),
                  text("text-xs" if small else "text-sm", f, "feature"), role="feature row") for f in fs]
        return h("div", "flex flex-col gap-2", rows, role="feature list")

    def price_row(value: int, size: str) -> Node:
        return h("div", "flex items-baseline gap-1", hero(st, f"${value}", "price", size),
                 label(st, "/year" if yearly else "/month", "billing period", "text-sm"), role="price")

    variant = rng.choice(("single", "toggle", "compare")) if st.width >= 340 else rng.choice(("single", "toggle"))
    if variant == "compare":
        cols = []
        for i, plan in enumerate(plans):
            hot = i == 1
            cols.append(h("div", f"flex flex-col gap-3 flex-1 p-3 {st.inner_radius} "
                          + (f"border-2 border-[{st.accent}]" if hot else f"border border-[{st.border}]"),
                          h("div", "flex items-center justify-between gap-1", title(st, plan, "plan name"),
                            chip("Best", st.accent, st.on_accent, "popular badge") if hot else None),
                          price_row(price * (2 if hot else 1), "text-2xl"),
                          features(feats[i * 3: i * 3 + 3], st.accent, small=True),
                          button("Choose", st.accent if hot else st.surface, st.on_accent if hot else st.fg,
                                 "w-full h-9"), role="plan column"))
        return card(st, text("text-lg font-bold", rng.choice(("Choose a plan", "Pricing", "Upgrade")), "heading"),
                    h("div", "flex gap-3", cols, role="plan columns"))
    parts: list[Node] = []
    if variant == "toggle":
        parts.append(h("div", f"flex p-1 rounded-full bg-[{st.surface}]",
                       [text("flex-1 text-center py-1.5 rounded-full text-xs font-semibold"
                             + (f" bg-[{st.accent}] text-[{st.on_accent}]" if on else f" text-[{st.muted}]"), name,
                             "selected period" if on else "period option")
                        for name, on in (("Monthly", not yearly), ("Yearly", yearly))], role="billing toggle"))
    parts.append(h("div", "flex items-center justify-between",
                   text(f"text-sm font-bold uppercase tracking-wider text-[{st.accent}]", plans[0], "plan name"),
                   chip("Most popular", st.soft, st.accent if st.theme != "gradient" else st.fg, "popular badge")
                   if rng.random() < 0.6 else None, role="plan header"))
    parts.append(price_row(price * (10 if yearly else 1), None))
    parts.append(label(st, rng.choice(("Everything you need to grow.", "For small teams getting started.",
                                       "Best for professionals.")), "plan description", "text-sm"))
    parts.append(divider(st.border))
    parts.append(features(feats[: rng.choice((3, 4, 5))], st.accent))
    parts.append(button(rng.choice(("Get started", "Start free trial", "Upgrade now")), st.accent, st.on_accent,
                        "w-full"))
    return card(st, *parts)

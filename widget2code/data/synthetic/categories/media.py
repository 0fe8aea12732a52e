"""Media and communication widgets: music player, news, chat, notification."""

from __future__ import annotations

import random

from widget2code.data.synthetic import words as W
from widget2code.data.synthetic.categories.registry import category
from widget2code.data.synthetic.icons import icon
from widget2code.data.synthetic.parts import (
    avatar,
    button,
    card,
    chip,
    divider,
    header,
    icon_tile,
    label,
    person,
    progress_bar,
    text,
    title,
)
from widget2code.data.synthetic.spec import Node, h
from widget2code.data.synthetic.style import Style

# Album art and news photos are drawn as gradient tiles: no external images.
_ART = (("#f472b6", "#7c3aed"), ("#f59e0b", "#ef4444"), ("#22d3ee", "#3b82f6"), ("#34d399", "#0f766e"),
        ("#a78bfa", "#1e1b4b"), ("#fb7185", "#f97316"), ("#64748b", "#0f172a"))
_AVATAR = ("#fde68a", "#bfdbfe", "#c7d2fe", "#fbcfe8", "#bbf7d0", "#fed7aa", "#ddd6fe")


def _art(rng: random.Random, size: str, radius: str, ic: str = "music", icon_size: str = "w-8 h-8",
         role: str = "album art") -> Node:
    a, b = rng.choice(_ART)
    return h("div", f"flex items-center justify-center {size} {radius} bg-linear-to-br from-[{a}] to-[{b}] shrink-0",
             icon(ic, "#ffffffcc", icon_size, 1.5), role=role)


def _photo(rng: random.Random) -> Node:
    """A stand-in for a story photo: a gradient with an icon in its top-right corner."""
    a, b = rng.choice(_ART)
    return h("div", f"flex items-start justify-end w-full h-full p-3 bg-linear-to-br from-[{a}] to-[{b}]",
             icon(rng.choice(("globe", "zap", "star", "newspaper")), "#ffffffb3", "w-8 h-8", 1.5), role="story image")


def _minutes(seconds: int) -> str:
    return f"{seconds // 60}:{seconds % 60:02d}"


@category("music_player", ("small", "medium", "large"), theme_weights=(3, 6, 3))
def music_player(rng: random.Random, st: Style) -> Node:
    song, artist = rng.choice(W.SONGS), rng.choice(W.ARTISTS)
    playing = rng.random() < 0.6
    total = rng.randint(150, 320)
    pos = rng.randint(10, total - 10)
    meta = h("div", "flex flex-col min-w-0", title(st, song, "song title", "truncate"),
             label(st, artist, "artist", "text-sm", "truncate"), role="track info")

    def controls(big: bool, extras: bool) -> Node:
        size = "w-12 h-12" if big else "w-10 h-10"
        play = h("div", f"flex items-center justify-center {size} rounded-full bg-[{st.accent}]",
                 icon("pause" if playing else "play", st.on_accent, "w-5 h-5"), role="play button")
        items = [icon("skip-back", st.fg, "w-5 h-5"), play, icon("skip-forward", st.fg, "w-5 h-5")]
        if extras:
            items = [icon("repeat", st.muted, "w-4 h-4"), *items, icon("heart", st.muted, "w-4 h-4")]
        return h("div", "flex items-center justify-between" if extras else "flex items-center justify-center gap-6",
                 items, role="playback controls")

    def scrubber() -> Node:
        return h("div", "flex flex-col gap-1", progress_bar(round(pos / total * 100), st.accent, st.soft, "h-1"),
                 h("div", "flex justify-between", label(st, _minutes(pos), "elapsed time", "text-[11px]"),
                   label(st, f"-{_minutes(total - pos)}", "remaining time", "text-[11px]")), role="scrubber")

    if st.family == "small":
        if rng.random() < 0.5:
            return card(st, h("div", "flex items-start justify-between", _art(rng, "w-14 h-14", st.inner_radius),
                              icon("headphones", st.muted, "w-4 h-4"), role="top row"),
                        h("div", "mt-auto", meta), controls(False, False))
        return card(st, label(st, "NOW PLAYING", "caption", "text-[10px]", "font-bold tracking-widest"), meta,
                    scrubber(), controls(False, False), justify="justify-between")
    if st.family == "medium":
        variant = rng.choice(("side", "bar", "compact"))
        if variant == "side":
            return card(st, _art(rng, "w-[120px] h-[120px]", st.inner_radius, icon_size="w-12 h-12"),
                        h("div", "flex flex-col justify-between flex-1 min-w-0", meta, scrubber(), controls(False, False)),
                        row=True)
        if variant == "bar":
            return card(st, h("div", "flex items-center gap-3", _art(rng, "w-14 h-14", st.inner_radius), meta,
                              role="now playing row"), scrubber(), controls(False, True), justify="justify-between")
        return card(st, h("div", "flex items-center gap-3", _art(rng, "w-16 h-16", st.inner_radius),
                          h("div", "flex-1 min-w-0", meta),
                          h("div", f"flex items-center justify-center w-11 h-11 rounded-full bg-[{st.accent}]",
                            icon("pause" if playing else "play", st.on_accent, "w-5 h-5"), role="play button"),
                          role="now playing row"),
                    h("div", "flex items-center gap-2", icon("volume", st.muted, "w-4 h-4"),
                      progress_bar(rng.randint(20, 90), st.fg, st.soft, "h-1", "volume bar"), role="volume row"),
                    justify="justify-between")
    parts: list[Node] = [_art(rng, "w-full h-[150px]", st.inner_radius, icon_size="w-16 h-16"),
                         h("div", "flex items-center justify-between gap-2", meta,
                           icon("heart", st.accent, "w-5 h-5"), role="title row"),
                         scrubber(), controls(True, rng.random() < 0.5)]
    if rng.random() < 0.5:
        parts = [header(st, rng.choice(W.ALBUMS), "music", icon("more", st.muted, "w-5 h-5", 3)), *parts]
    return card(st, *parts)


@category("news", ("small", "medium", "large", "card"), theme_weights=(7, 4, 1))
def news(rng: random.Random, st: Style) -> Node:
    heads = rng.sample(W.HEADLINES, 4)
    src = rng.choice(W.SOURCES)
    tag = rng.choice(W.NEWS_TAGS)
    tag_chip = chip(tag.upper(), st.soft, st.accent if st.theme != "gradient" else st.fg, "category tag")

    def item(headline: str, thumb: bool) -> Node:
        meta = label(st, f"{rng.choice(W.SOURCES)} · {rng.randint(1, 11)}h ago", "source and time", "text-[11px]")
        body = h("div", "flex flex-col gap-0.5 flex-1 min-w-0",
                 text("text-sm font-semibold leading-snug", headline, "headline"), meta)
        return h("div", "flex items-center gap-3", body,
                 _art(rng, "w-14 h-14", st.inner_radius, rng.choice(("newspaper", "globe", "star", "zap")),
                      "w-6 h-6", "thumbnail") if thumb else None, role="story row")

    if st.family == "small":
        return card(st, h("div", "flex items-center justify-between", tag_chip, icon("newspaper", st.muted, "w-4 h-4"),
                          role="top row"),
                    text("text-sm font-bold leading-snug", heads[0], "headline"),
                    label(st, f"{src} · {rng.randint(1, 11)}h ago", "source and time", "text-[11px]", "mt-auto"))
    variant = rng.choice(("list", "featured", "thumbs"))
    top = header(st, rng.choice(("Top Stories", "For You", "Headlines", "Today")), "newspaper",
                 label(st, src, "source"))
    if st.family == "medium" and variant == "featured":
        return card(st, _art(rng, "w-[110px] self-stretch", st.inner_radius, "globe", "w-10 h-10", "story image"),
                    h("div", "flex flex-col gap-1.5 flex-1", tag_chip,
                      text("text-base font-bold leading-snug", heads[0], "headline"),
                      label(st, f"{src} · {rng.randint(1, 11)}h ago", "source and time", "text-[11px]", "mt-auto"),
                      role="story text"), row=True)
    n = 2 if st.family == "medium" else rng.choice((3, 4))
    parts: list[Node] = [top]
    if variant == "featured":
        parts.append(h("div", f"relative h-[130px] {st.inner_radius} overflow-hidden",
                       _photo(rng),
                       h("div", "absolute inset-0 bg-linear-to-t from-[#0f172acc] to-[#0f172a00]", role="shade"),
                       h("div", "absolute left-3 bottom-3 right-3 flex flex-col gap-1 items-start",
                         chip(tag.upper(), "#ffffff", "#0f172a", "category tag"),
                         text("text-base font-bold leading-snug text-[#ffffff]", heads[0], "headline")),
                       role="featured story"))
        heads = heads[1:]
        n -= 1
    for i in range(n):
        if i:
            parts.append(divider(st.border))
        parts.append(item(heads[i], variant != "list"))
    return card(st, *parts)


@category("chat", ("small", "medium", "large", "card"), theme_weights=(6, 5, 1))
def chat(rng: random.Random, st: Style) -> Node:
    people = [person(rng) for _ in range(4)]
    lines = rng.sample(W.CHAT_LINES, 6)
    av_fg = "#1f2937"

    def stamp() -> str:
        return f"{rng.randint(1, 12)}:{rng.randrange(0, 60, 5):02d}"

    if st.family == "small":
        return card(st, h("div", "flex items-center gap-2", avatar(people[0], rng.choice(_AVATAR), av_fg, "w-8 h-8",
                                                                    "text-xs"),
                          h("div", "flex flex-col min-w-0", text("text-sm font-semibold truncate", people[0].split()[0],
                                                                 "sender name"),
                            label(st, stamp(), "time", "text-[11px]")), role="sender"),
                    text("text-sm leading-snug", lines[0], "message preview"),
                    h("div", "flex items-center gap-1 mt-auto", icon("message", st.accent, "w-3.5 h-3.5"),
                      label(st, f"{rng.randint(2, 9)} unread", "unread count", "text-[11px]"), role="footer"))
    if rng.random() < 0.5:  # inbox list
        rows = []
        for i in range(2 if st.family == "medium" else rng.choice((3, 4))):
            unread = rng.randint(1, 5) if rng.random() < 0.5 else 0
            badge = text(f"flex items-center justify-center min-w-5 h-5 px-1 rounded-full bg-[{st.accent}] "
                         f"text-[{st.on_accent}] text-[11px] font-bold", str(unread), "unread badge") if unread else None
            rows.append(h("div", "flex items-center gap-3",
                          avatar(people[i], rng.choice(_AVATAR), av_fg),
                          h("div", "flex flex-col flex-1 min-w-0",
                            h("div", "flex items-center justify-between gap-2",
                              text("text-sm font-semibold truncate", people[i], "contact name"),
                              label(st, stamp(), "time", "text-[11px]")),
                            h("div", "flex items-center justify-between gap-2",
                              label(st, lines[i], "last message", "text-sm", "truncate"), badge)),
                          role="conversation row"))
        return card(st, header(st, "Messages", "message", icon("plus", st.accent, "w-5 h-5")),
                    h("div", "flex flex-col gap-3", rows, role="conversation list"))
    who = people[0]
    head = h("div", "flex items-center gap-2",
             h("div", "relative", avatar(who, rng.choice(_AVATAR), av_fg, "w-9 h-9", "text-xs"),
               h("div", f"absolute bottom-0 right-0 w-2.5 h-2.5 rounded-full bg-[#22c55e] border-2 "
                 f"border-[{st.background[0]}]", role="online dot"), role="avatar with status"),
             h("div", "flex flex-col", text("text-sm font-semibold", who, "contact name"),
               label(st, "Online", "status", "text-[11px]")), role="chat header")
    bubbles = []
    mine = rng.random() < 0.5
    for i in range({"medium": 2, "large": 4}.get(st.family, rng.choice((3, 4)))):
        if mine:
            bubbles.append(text(f"self-end max-w-[75%] px-3 py-2 rounded-2xl rounded-br-md bg-[{st.accent}] "
                                f"text-[{st.on_accent}] text-sm", lines[i], "sent bubble"))
        else:
            bubbles.append(text(f"self-start max-w-[75%] px-3 py-2 rounded-2xl rounded-bl-md bg-[{st.surface}] text-sm",
                                lines[i], "received bubble"))
        mine = not mine
    parts: list[Node] = [head, h("div", "flex flex-col gap-2", bubbles, role="message thread")]
    if st.family == "large" or (st.family == "card" and rng.random() < 0.7):
        parts.append(h("div", f"flex items-center gap-2 h-10 mt-auto pl-4 pr-1 rounded-full bg-[{st.surface}]",
                       label(st, "Message...", "input placeholder", "text-sm", "flex-1"),
                       h("div", f"flex items-center justify-center w-8 h-8 rounded-full bg-[{st.accent}]",
                         icon("send", st.on_accent, "w-4 h-4"), role="send button"), role="message input"))
    return card(st, *parts)


@category("notification", ("small", "medium", "card"), theme_weights=(6, 5, 2))
def notification(rng: random.Random, st: Style) -> Node:
    apps = rng.sample(W.APPS, 3)
    bodies = rng.sample(W.NOTIFICATION_TEXT, 3)
    tile_colors = ("#22c55e", "#3b82f6", "#ef4444", "#f59e0b", "#8b5cf6", "#ec4899", "#0ea5e9")

    def note(i: int, boxed: bool) -> Node:
        app, ic = apps[i]
        top = h("div", "flex items-center gap-2",
                icon_tile(ic, rng.choice(tile_colors), "#ffffff", "w-6 h-6", "w-3.5 h-3.5", "rounded-md", "app icon"),
                label(st, app.upper(), "app name", "text-[11px]", "font-semibold tracking-wide flex-1"),
                label(st, rng.choice(("now", "2m ago", "15m ago", "1h ago", "9:41")), "time", "text-[11px]"),
                role="notification header")
        body = h("div", "flex flex-col gap-0.5",
                 text("text-sm font-semibold", rng.choice(("Reminder", "Delivered", "Security alert", "New message",
                                                           "Update", "Heads up")), "notification title"),
                 label(st, bodies[i], "notification body", "text-sm", "leading-snug"), role="notification content")
        cls = f"flex flex-col gap-2 p-3 {st.inner_radius} bg-[{st.surface}]" if boxed else "flex flex-col gap-2"
        return h("div", cls, top, body, role="notification")

    if st.family == "small":
        count = rng.randint(2, 12)
        return card(st, h("div", "flex items-center justify-between",
                          icon_tile("bell", st.soft, st.accent, "w-10 h-10", "w-5 h-5"),
                          text(f"flex items-center justify-center w-6 h-6 rounded-full bg-[{st.bad}] text-[#ffffff] "
                               "text-xs font-bold", str(count), "badge count"), role="top row"),
                    h("div", "flex flex-col mt-auto", title(st, f"{count} new", "headline"),
                      label(st, "notifications", "caption", "text-xs")),
                    label(st, bodies[0], "latest notification", "text-[11px]", "leading-snug"))
    variant = rng.choice(("single", "stack", "actions"))
    if variant == "single" or (st.family == "medium" and variant == "stack"):
        return card(st, note(0, False), justify="justify-center")
    if variant == "stack":
        return card(st, header(st, "Notifications", None, label(st, "Clear all", "action link", "text-xs",
                                                                  "font-semibold")),
                    [note(i, True) for i in range(rng.choice((2, 3)))])
    primary = button(rng.choice(("Reply", "View", "Open", "Accept")), st.accent, st.on_accent, "flex-1 h-9")
    secondary = button(rng.choice(("Dismiss", "Later", "Mute")), st.surface, st.fg, "flex-1 h-9", "secondary button")
    return card(st, note(0, False), h("div", "flex gap-2", secondary, primary, role="action buttons"))

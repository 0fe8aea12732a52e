"""A small library of inline SVG icons (24×24 viewBox, round strokes), drawn for this generator.

Each icon is a list of primitive shapes; `icon()` turns one into an `<svg>` node coloured with a hex
colour, so the reasoning trace can name the colour it uses.
"""

from __future__ import annotations

from widget2code.data.synthetic.spec import AttrValue, Node, h

Shape = tuple[str, dict[str, AttrValue]]


def _p(d: str) -> Shape:
    return ("path", {"d": d})


def _c(cx: float, cy: float, r: float) -> Shape:
    return ("circle", {"cx": cx, "cy": cy, "r": r})


def _r(x: float, y: float, w: float, hgt: float, rx: float) -> Shape:
    return ("rect", {"x": x, "y": y, "width": w, "height": hgt, "rx": rx})


_CLOUD = "M17 15H7.5a4.5 4.5 0 1 1 1-8.9A5.5 5.5 0 0 1 18.6 8 3.5 3.5 0 0 1 17 15z"

ICONS: dict[str, tuple[Shape, ...]] = {
    "sun": (_c(12, 12, 4), _p("M12 2v2M12 20v2M4.9 4.9l1.4 1.4M17.7 17.7l1.4 1.4M2 12h2M20 12h2"
                              "M4.9 19.1l1.4-1.4M17.7 6.3l1.4-1.4")),
    "moon": (_p("M21 12.8A9 9 0 1 1 11.2 3a7 7 0 0 0 9.8 9.8z"),),
    "cloud": (_p("M17.5 19H7a5 5 0 1 1 .9-9.9A6 6 0 0 1 19 11a4 4 0 0 1-1.5 8z"),),
    "cloud-rain": (_p(_CLOUD), _p("M8 18l-1 3M12 18l-1 3M16 18l-1 3")),
    "cloud-snow": (_p(_CLOUD), _p("M8 19h.01M12 21h.01M16 19h.01")),
    "cloud-sun": (_p("M12 4V2M5.6 6.6 4.2 5.2M4 12H2M18.4 5.2 17 6.6"), _p("M8 10a4 4 0 0 1 7.4-2"),
                  _p("M18 21H9a4 4 0 1 1 .7-7.9A5 5 0 0 1 19 14a3.5 3.5 0 0 1-1 7z")),
    "wind": (_p("M3 8h11a3 3 0 1 0-3-3M3 12h16a3 3 0 1 1-3 3M3 16h8"),),
    "droplet": (_p("M12 3s6 6.5 6 11a6 6 0 0 1-12 0c0-4.5 6-11 6-11z"),),
    "thermometer": (_p("M14 14.8V4a2 2 0 0 0-4 0v10.8a4 4 0 1 0 4 0z"),),
    "bell": (_p("M6 8a6 6 0 0 1 12 0c0 7 3 9 3 9H3s3-2 3-9M10.3 21a1.9 1.9 0 0 0 3.4 0"),),
    "battery": (_r(2, 7, 16, 10, 2), _p("M22 11v2")),
    "zap": (_p("M13 2 3 14h9l-1 8 10-12h-9l1-8z"),),
    "heart": (_p("M20.8 4.6a5.5 5.5 0 0 0-7.8 0L12 5.7l-1-1.1a5.5 5.5 0 0 0-7.8 7.8L12 21.2l8.8-8.8"
                 "a5.5 5.5 0 0 0 0-7.8z"),),
    "play": (_p("M7 4l13 8-13 8z"),),
    "pause": (_p("M7 4h3v16H7zM14 4h3v16h-3z"),),
    "skip-forward": (_p("M5 4l10 8-10 8zM17 5h3v14h-3z"),),
    "skip-back": (_p("M19 20 9 12l10-8zM4 5h3v14H4z"),),
    "search": (_c(11, 11, 7), _p("M21 21l-4.3-4.3")),
    "lock": (_r(4, 11, 16, 10, 2), _p("M8 11V7a4 4 0 0 1 8 0v4")),
    "user": (_c(12, 8, 4), _p("M4 21a8 8 0 0 1 16 0")),
    "mail": (_r(3, 5, 18, 14, 2), _p("M3 7l9 6 9-6")),
    "check": (_p("M5 12l5 5L20 7"),),
    "plus": (_p("M12 5v14M5 12h14"),),
    "calendar": (_r(3, 5, 18, 16, 2), _p("M16 3v4M8 3v4M3 11h18")),
    "clock": (_c(12, 12, 9), _p("M12 7v5l3 2")),
    "trend-up": (_p("M3 17l6-6 4 4 8-8M15 7h6v6"),),
    "trend-down": (_p("M3 7l6 6 4-4 8 8M15 17h6v-6"),),
    "wifi": (_p("M5 12.5a10 10 0 0 1 14 0M8.5 16a5 5 0 0 1 7 0M2 9a15 15 0 0 1 20 0M12 20h.01"),),
    "bluetooth": (_p("M7 7l10 10-5 5V2l5 5L7 17"),),
    "flame": (_p("M12 2c1 4 5 6 5 11a5 5 0 0 1-10 0c0-3 2-4 2-7 2 1 3 3 3 5 1-2 0-6 0-9z"),),
    "activity": (_p("M22 12h-4l-3 9L9 3l-3 9H2"),),
    "music": (_p("M9 18V5l12-2v13"), _c(6, 18, 3), _c(18, 16, 3)),
    "message": (_p("M21 15a2 2 0 0 1-2 2H7l-4 4V5a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2z"),),
    "sliders": (_p("M4 21v-7M4 10V3M12 21v-9M12 8V3M20 21v-5M20 12V3M1 14h6M9 8h6M17 16h6"),),
    "star": (_p("M12 2l3.1 6.3 6.9 1-5 4.9 1.2 6.8L12 17.8 5.8 21l1.2-6.8-5-4.9 6.9-1z"),),
    "home": (_p("M3 10l9-7 9 7v10a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2z"), _p("M9 22V12h6v10")),
    "chevron-right": (_p("M9 6l6 6-6 6"),),
    "chevron-left": (_p("M15 6l-6 6 6 6"),),
    "more": (_p("M5 12h.01M12 12h.01M19 12h.01"),),
    "map-pin": (_p("M12 22s7-6.5 7-12a7 7 0 0 0-14 0c0 5.5 7 12 7 12z"), _c(12, 10, 2.5)),
    "bookmark": (_p("M19 21l-7-5-7 5V5a2 2 0 0 1 2-2h10a2 2 0 0 1 2 2z"),),
    "shield": (_p("M12 22s8-4 8-10V5l-8-3-8 3v7c0 6 8 10 8 10z"),),
    "arrow-up-right": (_p("M7 17L17 7M7 7h10v10"),),
    "send": (_p("M22 2 11 13M22 2l-7 20-4-9-9-4z"),),
    "eye": (_p("M2 12s3.5-7 10-7 10 7 10 7-3.5 7-10 7S2 12 2 12z"), _c(12, 12, 3)),
    "hourglass": (_p("M6 2h12M6 22h12M7 2v4l5 6 5-6V2M7 22v-4l5-6 5 6v4"),),
    "check-circle": (_c(12, 12, 9), _p("M8 12l3 3 5-6")),
    "dollar": (_p("M12 2v20M17 6H9.5a3.5 3.5 0 0 0 0 7h5a3.5 3.5 0 0 1 0 7H6"),),
    "globe": (_c(12, 12, 9), _p("M3 12h18M12 3a14 14 0 0 1 0 18M12 3a14 14 0 0 0 0 18")),
    "headphones": (_p("M3 18v-6a9 9 0 0 1 18 0v6"), _p("M21 19a2 2 0 0 1-2 2h-1v-6h3zM3 19a2 2 0 0 0 2 2h1v-6H3z")),
    "repeat": (_p("M17 2l4 4-4 4M3 11V9a3 3 0 0 1 3-3h15M7 22l-4-4 4-4M21 13v2a3 3 0 0 1-3 3H3"),),
    "volume": (_p("M11 5 6 9H2v6h4l5 4zM15.5 8.5a5 5 0 0 1 0 7"),),
    "newspaper": (_p("M4 4h13v16H6a2 2 0 0 1-2-2zM17 8h3v10a2 2 0 0 1-2 2M8 8h5M8 12h5M8 16h3"),),
    "phone": (_r(6, 2, 12, 20, 2), _p("M11 18h2")),
    "watch": (_r(6, 6, 12, 12, 3), _p("M9 6l1-4h4l1 4M9 18l1 4h4l1-4")),
    "laptop": (_r(4, 5, 16, 11, 1.5), _p("M2 19h20")),
    "moon-star": (_p("M20 14.5A8 8 0 1 1 9.5 4a6.5 6.5 0 0 0 10.5 10.5z"), _p("M17 3v4M15 5h4")),
    "sun-dim": (_c(12, 12, 4), _p("M12 4h.01M12 20h.01M4 12h.01M20 12h.01M6.3 6.3h.01M17.7 17.7h.01"
                                  "M6.3 17.7h.01M17.7 6.3h.01")),
    "plane": (_p("M17.8 19.2 16 11l3.5-3.5a2.1 2.1 0 0 0-3-3L13 8 4.8 6.2l-1.3 1.3L10 11l-3 3H4l-1 1 3 2 2 3 1-1v-3l3-3"
                 " 3.5 6.5z"),),
    "target": (_c(12, 12, 9), _c(12, 12, 5), _c(12, 12, 1)),
    "footprints": (_p("M4 16v-2.4C4 11.5 3 10.5 3 8c0-2.7 1.5-6 4.5-6C9.4 2 10 3.8 10 5.5c0 3.1-2 5.7-2 8.7V16"
                      "a2 2 0 1 1-4 0zM20 20v-2.4c0-2.1 1-3.1 1-5.6 0-2.7-1.5-6-4.5-6C14.6 6 14 7.8 14 9.5"
                      "c0 3.1 2 5.7 2 8.7V20a2 2 0 1 0 4 0z"),),
}

#: Icons drawn filled rather than stroked.
FILLED = frozenset({"play", "pause", "skip-forward", "skip-back", "star"})


def icon(name: str, color: str, size: str = "w-5 h-5", stroke_width: float = 2) -> Node:
    """An inline `<svg>` node for a named icon, stroked (or filled) in `color`."""
    if name not in ICONS:
        raise KeyError(f"unknown icon {name!r}; known: {', '.join(sorted(ICONS))}")
    shapes = [h(tag, "", **attrs) for tag, attrs in ICONS[name]]
    if name in FILLED:
        paint: dict[str, AttrValue] = {"fill": color}
    else:
        paint = {"fill": "none", "stroke": color, "strokeWidth": stroke_width, "strokeLinecap": "round",
                 "strokeLinejoin": "round"}
    return h("svg", f"{size} shrink-0", shapes, role=f"icon: {name}", viewBox="0 0 24 24", **paint)

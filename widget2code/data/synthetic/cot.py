"""A 5-section reasoning trace written from the spec tree, so every claim in it is true of the code."""

from __future__ import annotations

import re
from collections import Counter, defaultdict

from widget2code.data.synthetic.spec import Node, walk
from widget2code.data.synthetic.style import Style

HEADINGS = (
    "1. Layout and structure",
    "2. Components",
    "3. Colours and typography",
    "4. Spacing and sizes",
    "5. Implementation plan",
)

_HEX = re.compile(r"#[0-9a-fA-F]{3,8}\b")
_COLOUR_CLASS = re.compile(r"^(?:[a-z]+:)?(bg|text|border|from|to|via|decoration)-\[(#[0-9a-fA-F]{3,8})\]$")
_SIZE_CLASS = re.compile(r"^text-(xs|sm|base|lg|[2-9]?xl|\[\d+px\])$")
_WEIGHT_CLASS = re.compile(r"^font-(light|normal|medium|semibold|bold|extrabold)$")
_USE = {"bg": "background", "text": "text", "border": "border", "from": "gradient start", "to": "gradient end",
        "via": "gradient middle", "decoration": "underline", "stroke": "stroke", "fill": "fill"}
_SHAPES = {"path", "circle", "rect", "line"}
_MAX_COMPONENTS = 14


def _label(node: Node) -> str:
    if node.role.startswith("icon: "):
        return f"{node.role[6:]} icon"
    if node.role:
        return node.role
    return "SVG shape" if node.tag in _SHAPES else "group"


def _layout(node: Node) -> str:
    cls = set(node.classes)
    if node.tag == "svg":
        return "inline SVG"
    cols = next((c[len("grid-cols-"):] for c in node.classes if c.startswith("grid-cols-")), None)
    if cols:
        return f"grid of {cols} columns"
    if "relative" in cls and any(c.startswith("absolute") for ch in node.children for c in ch.classes):
        return "stack with an overlay"
    if "flex" in cls:
        return "column" if "flex-col" in cls else "row"
    return f"<{node.tag}>"


def _name(node: Node) -> str:
    """A node's role, or for a plain wrapper what it arranges: 'column (city name, temperature)'."""
    if node.role or not node.children:
        return _label(node)
    return f"{_layout(node)} ({_composition(node)})"


def _composition(node: Node) -> str:
    """What a node holds: '6 × hourly item' or 'city name, temperature'."""
    counts = Counter(_name(c) for c in node.children)
    parts = [f"{n} × {name}" if n > 1 else name for name, n in counts.items()]
    return ", ".join(parts)


def _describe(node: Node) -> str:
    if node.text is not None:
        return f'<{node.tag}> text "{node.text}"'
    if node.tag == "svg" and node.role.startswith("icon"):
        return "inline SVG icon"
    holds = _composition(node)
    return f"{_layout(node)} of {holds}" if holds else _layout(node)


def _words(component: str) -> str:
    """MusicPlayerWidget -> 'music player'."""
    return re.sub(r"(?<!^)([A-Z])", r" \1", component.removesuffix("Widget")).lower()


def _layout_section(root: Node, st: Style, component: str) -> list[str]:
    height = f", at least {st.min_height}px tall" if st.min_height else ", as tall as its content"
    family = {"small": "small square", "medium": "medium wide", "large": "large", "card": "card-style"}[st.family]
    lines = [f"A {family} {_words(component)} widget, {st.width}px wide{height}, {st.theme} theme ({st.palette} palette).",
             f"The root is a {_layout(root)} with {len(root.children)} part{'s' if len(root.children) != 1 else ''}, in order:"]
    lines += [f"- {_label(child)}: {_describe(child)}" for child in root.children]
    return lines


def _components_section(root: Node) -> list[str]:
    groups: dict[str, list[Node]] = defaultdict(list)
    icons: Counter[str] = Counter()
    for node, _ in walk(root):
        if node is root or not node.role or node.role.startswith("icon: "):
            if node.role.startswith("icon: "):
                icons[node.role[6:]] += 1
            continue
        groups[node.role].append(node)
    lines = []
    for role, nodes in list(groups.items())[:_MAX_COMPONENTS]:
        first = nodes[0]
        count = f" ×{len(nodes)}" if len(nodes) > 1 else ""
        if first.text is not None:
            examples = list(dict.fromkeys(n.text for n in nodes))[:3]
            lines.append(f"- {role}{count}: <{first.tag}> text " + ", ".join(f'"{e}"' for e in examples))
        else:
            lines.append(f"- {role}{count}: {_describe(first)}")
    if len(groups) > _MAX_COMPONENTS:
        lines.append(f"- and {len(groups) - _MAX_COMPONENTS} smaller parts ({', '.join(list(groups)[_MAX_COMPONENTS:])})")
    if icons:
        names = ", ".join(f"{name} ×{n}" if n > 1 else name for name, n in icons.items())
        lines.append(f"- inline SVG icons (24×24 viewBox): {names}")
    return lines


def _colour_uses(root: Node) -> dict[str, list[str]]:
    uses: dict[str, list[str]] = defaultdict(list)
    for node, _ in walk(root):
        who = _label(node) if node.tag not in _SHAPES else "chart/icon shapes"
        for cls in node.classes:
            m = _COLOUR_CLASS.match(cls)
            if m:
                uses[m.group(2)].append(f"{_USE[m.group(1)]} of {who}")
        for name, value in node.attrs:
            if name in ("stroke", "fill") and isinstance(value, str) and _HEX.fullmatch(value):
                parent_who = who if node.tag == "svg" else "chart/icon shapes"
                uses[value].append(f"{_USE[name]} of {parent_who}")
    return uses


def _colours_section(root: Node, st: Style) -> list[str]:
    if len(st.background) == 2:
        bg = (f"Background: a linear gradient (bg-linear-to-{st.gradient_dir}) from {st.background[0]} "
              f"to {st.background[1]}.")
    else:
        bg = f"Background: solid {st.background[0]} (bg-[{st.background[0]}])."
    lines = [bg]
    for hex_, uses in _colour_uses(root).items():
        distinct = list(dict.fromkeys(uses))
        more = f" and {len(distinct) - 3} more" if len(distinct) > 3 else ""
        lines.append(f"- {hex_}: {'; '.join(distinct[:3])}{more}")
    font = {"font-sans": "sans-serif (font-sans)", "font-mono": "monospace (font-mono)",
            "font-serif": "serif (font-serif)"}[st.font]
    lines.append(f"Typography: {font}.")
    styles: dict[tuple[str, str], list[str]] = defaultdict(list)
    for node, _ in walk(root):
        if node.text is None:
            continue
        size = next((c for c in node.classes if _SIZE_CLASS.match(c)), "text-base")
        weight = next((c for c in node.classes if _WEIGHT_CLASS.match(c)), "font-normal")
        if node.role not in styles[(size, weight)]:
            styles[(size, weight)].append(node.role)
    for (size, weight), roles in styles.items():
        lines.append(f"- {size} {weight}: {', '.join(roles[:4])}")
    return lines


def _spacing_section(root: Node, st: Style) -> list[str]:
    cls = root.classes
    radius = next(c for c in cls if c.startswith("rounded"))
    lines = [f"Root: w-[{st.width}px]" + (f", min-h-[{st.min_height}px]" if st.min_height else "")
             + f", padding p-{st.pad} ({st.pad * 4}px), gap-{st.gap} ({st.gap * 4}px) between parts, corners {radius}"
             + (f", {st.shadow}" if st.shadow else ", no shadow")
             + (f", 1px border {st.border}" if st.bordered else "") + "."]
    gaps: dict[str, list[str]] = defaultdict(list)
    sizes: dict[str, list[str]] = defaultdict(list)
    seen: set[str] = set()
    for node, _ in walk(root):
        if node is root:
            continue
        who = _label(node)
        for c in node.classes:
            if c.startswith(("gap-", "p-", "px-", "py-")) and who not in gaps[c]:
                gaps[c].append(who)
        # Fixed sizes only; percentage widths are data (bar lengths), named in the components.
        dims = " ".join(c for c in node.classes if re.match(r"^(w|h)-(\d|\[\d+px\])", c))
        if dims and who not in seen:
            seen.add(who)
            sizes[dims].append(who)
    if gaps:
        lines.append("Inner spacing: " + "; ".join(f"{c} for {', '.join(w[:3])}" for c, w in gaps.items()) + ".")
    if sizes:
        lines.append("Fixed sizes: " + "; ".join(f"{d} for {', '.join(w[:3])}" for d, w in list(sizes.items())[:10])
                     + ".")
    return lines


def _plan_section(root: Node, component: str) -> list[str]:
    lines = [f'1. export default function {component}() returning one root <div className="{" ".join(root.classes)}">.']
    for i, child in enumerate(root.children, start=2):
        lines.append(f"{i}. Add the {_label(child)}: {_describe(child)}.")
    step = len(root.children) + 2
    svgs = [n for n, _ in walk(root) if n.tag == "svg"]
    if any(n.role.startswith("icon") for n in svgs):
        lines.append(f'{step}. Draw icons as inline <svg viewBox="0 0 24 24"> with the stroke or fill colour set '
                     "directly.")
        step += 1
    charts = list(dict.fromkeys(n.role for n in svgs if not n.role.startswith("icon")))
    charts += list(dict.fromkeys(n.role for n, _ in walk(root) if n.role.endswith("ring") and n.tag == "div"))
    if charts:
        lines.append(f"{step}. Draw the {', '.join(dict.fromkeys(c for c in charts if c))} with SVG paths and circles "
                     "computed from the data values.")
        step += 1
    lines.append(f"{step}. Keep it static: literal text and numbers, no state, effects, timers or images.")
    return lines


def write_cot(root: Node, st: Style, component: str) -> str:
    """The reasoning trace for one widget: the five headed sections, plain text."""
    sections = (
        _layout_section(root, st, component),
        _components_section(root),
        _colours_section(root, st),
        _spacing_section(root, st),
        _plan_section(root, component),
    )
    return "\n\n".join(f"{heading}\n" + "\n".join(body) for heading, body in zip(HEADINGS, sections, strict=True))

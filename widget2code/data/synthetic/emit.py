"""Spec tree -> TSX source, in one consistent style: 2-space indent, one element per line for containers."""

from __future__ import annotations

import json

from widget2code.data.synthetic.spec import AttrValue, Node

_JSX_UNSAFE = set("{}<>")


def _attr(name: str, value: AttrValue) -> str:
    if isinstance(value, bool) or not isinstance(value, str):
        return f"{name}={{{json.dumps(value)}}}"
    return f'{name}="{value}"'


def _open(node: Node) -> str:
    parts = [node.tag]
    if node.classes:
        parts.append(_attr("className", " ".join(node.classes)))
    parts.extend(_attr(name, value) for name, value in node.attrs)
    return " ".join(parts)


def _text(value: str) -> str:
    if _JSX_UNSAFE & set(value) or value != value.strip():
        return "{" + json.dumps(value) + "}"
    return value


def _lines(node: Node, indent: int) -> list[str]:
    pad = "  " * indent
    if node.text is not None:
        return [f"{pad}<{_open(node)}>{_text(node.text)}</{node.tag}>"]
    if not node.children:
        return [f"{pad}<{_open(node)} />"]
    lines = [f"{pad}<{_open(node)}>"]
    for child in node.children:
        lines.extend(_lines(child, indent + 1))
    lines.append(f"{pad}</{node.tag}>")
    return lines


def emit_tsx(root: Node, component: str) -> str:
    """A module default-exporting `component`, a static function component rendering `root`."""
    if not component.isidentifier() or not component[0].isupper():
        raise ValueError(f"component name {component!r} must be a PascalCase identifier")
    body = "\n".join(_lines(root, 2))
    return f"export default function {component}() {{\n  return (\n{body}\n  );\n}}\n"

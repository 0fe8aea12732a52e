"""The structure tree of a synthetic widget: what the generator builds, emits as TSX and explains.

Every JSX element of the emitted code is exactly one `Node`, so the element count, nesting depth and
reasoning trace are all computed from the same tree the code was written from.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

AttrValue = str | int | float


@dataclass(frozen=True)
class Node:
    tag: str
    classes: tuple[str, ...] = ()
    text: str | None = None
    children: tuple[Node, ...] = ()
    attrs: tuple[tuple[str, AttrValue], ...] = ()
    #: What the element is, in words ("hourly item", "icon: sun"); empty for plain wrappers.
    role: str = ""

    def attr(self, name: str) -> AttrValue | None:
        return dict(self.attrs).get(name)


def _flatten(children: Iterable[object]) -> Iterator[Node]:
    for child in children:
        if child is None:
            continue
        if isinstance(child, Node):
            yield child
        else:
            yield from _flatten(child)  # type: ignore[arg-type]


def h(tag: str, cls: str = "", *children: object, text: str | None = None, role: str = "",
      **attrs: AttrValue) -> Node:
    """Build a node: `h("div", "flex gap-2", child, [more, children], role="header")`.

    Children may be nodes, None (skipped, for optional parts) or iterables of them.
    """
    kids = tuple(_flatten(children))
    if text is not None and kids:
        raise ValueError(f"<{tag}> node cannot have both text {text!r} and child elements")
    return Node(tag=tag, classes=tuple(cls.split()), text=text, children=kids,
                attrs=tuple(attrs.items()), role=role)


def walk(node: Node, depth: int = 1) -> Iterator[tuple[Node, int]]:
    """Every node with its nesting depth (the root is at depth 1), in document order."""
    yield node, depth
    for child in node.children:
        yield from walk(child, depth + 1)


def element_count(node: Node) -> int:
    return sum(1 for _ in walk(node))


def depth(node: Node) -> int:
    return max(d for _, d in walk(node))


def signature(node: Node) -> str:
    """The shape of a tree, blind to text, classes and list lengths.

    Runs of identical sibling shapes collapse to one, so a forecast of 5 or 6 hours has the same
    signature, while an hourly row and a daily list do not. Icons count as one leaf whatever they draw.
    """
    if node.role.startswith("icon: "):
        return "svg:icon"
    parts: list[str] = []
    for child in node.children:
        sig = signature(child)
        if not parts or parts[-1] != sig:
            parts.append(sig)
    label = f"{node.tag}:{node.role}" if node.role else node.tag
    return f"{label}({','.join(parts)})" if parts else label

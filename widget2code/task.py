"""The task as the model sees it: the instruction, the output format, and the parser for completions.

A completion is `<think>reasoning</think><code>TSX</code>`. Training targets, the format reward,
inference and evaluation all go through `format_completion` and `parse_completion`, so the format
is defined in exactly one place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SYSTEM_PROMPT = (
    "You are an expert front-end engineer. Given a screenshot of a UI widget, write a single React "
    "function component in TSX, styled only with Tailwind CSS classes, that renders to the same picture. "
    "Import nothing but 'react'. Export the component as the default export. "
    "First reason inside <think>...</think> about layout, components, colours and typography, spacing "
    "and sizes, and an implementation plan; then give only the code inside <code>...</code>."
)
USER_PROMPT = "Write the TSX for this widget."

_THINK = re.compile(r"<think>(.*?)</think>", re.DOTALL)
_CODE = re.compile(r"<code>(.*?)</code>", re.DOTALL)
_FENCE = re.compile(r"^\s*```[a-zA-Z]*\n(.*?)\n?```\s*$", re.DOTALL)


@dataclass(frozen=True)
class ParsedCompletion:
    think: str | None
    code: str | None
    #: True when the text is exactly one think block followed by one code block (whitespace aside).
    well_formed: bool


def format_completion(think: str, code: str) -> str:
    """The training target for one sample."""
    return f"<think>{think.strip()}</think><code>{code.strip()}</code>"


def parse_completion(text: str) -> ParsedCompletion:
    """Split a completion into its reasoning and its code.

    Lenient on purpose: the code is recovered even when the think block is missing or the code is
    wrapped in a Markdown fence, so a near-miss can still be rendered; `well_formed` tells the
    format reward whether the model followed the format exactly.
    """
    thinks = _THINK.findall(text)
    codes = _CODE.findall(text)
    think = thinks[0].strip() if thinks else None
    code = codes[-1] if codes else None
    if code is None and "<code>" in text:  # truncated generation: take what follows the tag
        code = text.split("<code>", 1)[1]
    if code is not None:
        fenced = _FENCE.match(code)
        code = (fenced.group(1) if fenced else code).strip() or None
    well_formed = bool(
        re.fullmatch(r"\s*<think>.*?</think>\s*<code>.*?</code>\s*", text, re.DOTALL)
        and len(thinks) == 1
        and len(codes) == 1
    )
    return ParsedCompletion(think=think, code=code, well_formed=well_formed)

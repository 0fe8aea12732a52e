"""What every predictor returns, and the two seams behind the project's predictors.

- `Predictor`: screenshots in, one `Prediction` per screenshot out. Evaluation runs any of them: the
  model predictors here (single shot, best-of-N, polish), the OpenAI-compatible VLM, and its own
  `TsxDirPredictor` / `OraclePredictor`.
- `Proposer`: what writes completions (a local model, or a VLM behind an API). Best-of-N and polish
  are written once over it (`widget2code.inference.search`), so both kinds of model get them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from PIL import Image

from widget2code.task import parse_completion

_FENCE = re.compile(r"```[a-zA-Z]*\n(.*?)\n?```", re.DOTALL)


@dataclass
class Prediction:
    """One screenshot's answer: the raw completion, the code taken from it (None when there is none),
    its score against the screenshot when the predictor scored it, and predictor-specific details
    (JSON-friendly: candidates with their scores for best-of-N, the rounds for polish)."""

    text: str
    code: str | None
    score: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class Predictor(Protocol):
    name: str

    def predict(self, images: Sequence[Image.Image], ids: Sequence[str]) -> list[Prediction]:
        """One prediction per image, in order; `ids` name the images (for logs and lookups)."""
        ...


@dataclass(frozen=True)
class Revision:
    """A polish request: the target screenshot, how the current code renders (None when it failed,
    with `error` saying why), and the current code."""

    target: Image.Image
    rendering: Image.Image | None
    code: str
    error: str | None = None


class Proposer(Protocol):
    """Writes completions: `n` first answers per screenshot, or `n` revisions per polish request."""

    def propose(self, images: Sequence[Image.Image], n: int) -> list[list[str]]: ...

    def revise(self, requests: Sequence[Revision], n: int) -> list[list[str]]: ...


def completion_code(text: str) -> str | None:
    """The code of a completion: the task's `<code>` block, else a fenced block, else the bare answer.

    Trained models answer in the task's format; general VLMs often answer with a Markdown fence or
    with the code alone. Whatever comes out is rendered, so a non-answer fails as a render error.
    """
    parsed = parse_completion(text)
    if parsed.code is not None:
        return parsed.code
    fenced = _FENCE.search(text)
    code = fenced.group(1) if fenced else text
    return code.strip() or None

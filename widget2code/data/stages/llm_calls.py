"""What the LLM stages (collect, annotate) share: chunked concurrent requests that fail fast, and parsing.

Retries, backoff, rate limiting and the concurrency cap live in the client; this module decides what
a failure means for a data job. The first request goes alone: if it fails (no key, wrong URL, server
down), the job stops before any other request is paid for. Later failures leave their items
unrecorded, so a rerun retries them; but a chunk in which every request failed means the endpoint
went away, and the job stops rather than burning through the rest.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from widget2code.llm import ChatResult, LLMError, OpenAICompatibleClient
from widget2code.task import parse_completion

T = TypeVar("T")
Messages = list[dict[str, Any]]

_FENCED = re.compile(r"```[a-zA-Z]*\n(.*?)```", re.DOTALL)


def ask_in_chunks(client: OpenAICompatibleClient, items: Sequence[T], messages: Callable[[T], Messages],
                  handle_chunk: Callable[[list[tuple[T, ChatResult]]], None], *, chunk_size: int,
                  on_error: Callable[[T, LLMError], None] = lambda item, err: None,
                  **create_kwargs: Any) -> int:
    """Ask for every item, `chunk_size` at a time, passing the answers of each chunk to `handle_chunk`.

    Returns how many items failed (left for a rerun). Raises `LLMError` if the first request fails or
    a whole chunk does.
    """
    failed = 0
    if not items:
        return failed
    try:
        first = client.chat(messages(items[0]), **create_kwargs)
    except LLMError as err:
        raise type(err)(f"the first request failed, so nothing else was sent: {err}") from err
    handle_chunk([(items[0], first)])
    rest = list(items[1:])
    for start in range(0, len(rest), max(1, chunk_size)):
        chunk = rest[start:start + chunk_size]
        answers = client.chat_many([messages(item) for item in chunk], **create_kwargs)
        errors = [(item, a) for item, a in zip(chunk, answers, strict=True) if isinstance(a, LLMError)]
        for item, err in errors:
            on_error(item, err)
        if len(errors) == len(chunk):
            raise LLMError(f"all {len(chunk)} requests of a chunk failed; the endpoint seems down "
                           f"(finished work is kept, rerun to resume): {errors[0][1]}") from errors[0][1]
        failed += len(errors)
        handle_chunk([(item, a) for item, a in zip(chunk, answers, strict=True) if isinstance(a, ChatResult)])
    return failed


def extract_tsx(text: str) -> str | None:
    """The TSX in an answer: inside <code>, else in a Markdown fence, else the whole answer if it exports."""
    code = parse_completion(text).code
    if code:
        return code
    fenced = _FENCED.search(text)
    if fenced and fenced.group(1).strip():
        return fenced.group(1).strip()
    return text.strip() if "export default" in text else None


def image_message(prompt: str, image_url: str, text: str) -> Messages:
    """A system prompt, then one user turn with an image and a text."""
    return [{"role": "system", "content": prompt},
            {"role": "user", "content": [{"type": "image_url", "image_url": {"url": image_url}},
                                         {"type": "text", "text": text}]}]


def usage_delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """What one job added to a client's usage counters (tokens, cost, retries, failures)."""
    return {k: round(after[k] - before.get(k, 0), 6) for k in after}

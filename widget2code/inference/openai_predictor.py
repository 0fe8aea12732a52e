"""Any OpenAI-compatible VLM as the predictor (a baseline for trained checkpoints), through the
project's client: the same system and user prompts as training, the screenshot as a PNG data URL.

Single shot, best-of-N and polish work as for local models. Answers in the task's format, in a
Markdown fence or as bare code are all accepted (`predictor.completion_code`). A request that fails
for good (after the client's retries) gives an empty answer, which scores as a failure, and is logged.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from PIL import Image

from widget2code.inference.polish import revision_parts
from widget2code.inference.predictor import Revision
from widget2code.inference.search import Mode, SearchPredictor
from widget2code.llm import LLMError, OpenAICompatibleClient, image_to_data_url
from widget2code.render import Renderer
from widget2code.rewards.base import Reward
from widget2code.task import SYSTEM_PROMPT, USER_PROMPT

log = logging.getLogger(__name__)


def _content(parts: Sequence[str | Image.Image]) -> list[dict[str, Any]]:
    return [{"type": "text", "text": part} if isinstance(part, str)
            else {"type": "image_url", "image_url": {"url": image_to_data_url(part)}} for part in parts]


class OpenAIProposer:
    def __init__(self, client: OpenAICompatibleClient, temperature: float | None = None,
                 max_tokens: int | None = None) -> None:
        self.client = client
        self.options = {key: value for key, value in (("temperature", temperature), ("max_tokens", max_tokens))
                        if value is not None}

    def _ask(self, turns: Sequence[Sequence[str | Image.Image]], n: int) -> list[list[str]]:
        conversations = [[{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": _content(turn)}]
                         for turn in turns for _ in range(n)]
        answers = []
        for result in self.client.chat_many(conversations, **self.options):
            if isinstance(result, LLMError):
                log.warning("no answer from %s: %s", self.client.model, result)
                answers.append("")
            else:
                answers.append(result.text)
        return [answers[i * n:(i + 1) * n] for i in range(len(turns))]

    def propose(self, images: Sequence[Image.Image], n: int) -> list[list[str]]:
        return self._ask([[image, USER_PROMPT] for image in images], n)

    def revise(self, requests: Sequence[Revision], n: int) -> list[list[str]]:
        return self._ask([revision_parts(request) for request in requests], n)


class OpenAIPredictor(SearchPredictor):
    """An OpenAI-compatible VLM as a `Predictor` (see `widget2code.inference.search` for the modes).

    `temperature` / `max_tokens` go to every request (None: the server's default); best-of-N needs a
    temperature above 0 to get different candidates.
    """

    def __init__(self, client: OpenAICompatibleClient, renderer: Renderer | None = None,
                 reward: Reward | None = None, mode: Mode = "single", n: int = 1, rounds: int = 3,
                 temperature: float | None = None, max_tokens: int | None = None, name: str | None = None) -> None:
        super().__init__(OpenAIProposer(client, temperature, max_tokens), renderer, reward, mode=mode, n=n,
                         rounds=rounds, name=name or client.model)

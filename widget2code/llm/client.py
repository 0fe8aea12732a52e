"""`OpenAICompatibleClient`: chat completions with retries, backoff, a concurrency cap and a rate limit.

The official `openai` package does the HTTP; its own retries are switched off (`max_retries=0`) so
that every attempt passes through this class's limiter, semaphore and counters, and so a request
that keeps failing ends in one typed `LLMError` that names the endpoint.
"""

from __future__ import annotations

import email.utils
import json
import os
import random
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import openai

from widget2code.llm.errors import LLMConfigError, LLMError
from widget2code.llm.ratelimit import RateLimiter
from widget2code.llm.usage import Usage

#: No wait between attempts is longer than this, whatever the backoff or a Retry-After header says.
MAX_WAIT_S = 60.0
#: The key sent to a local server (vLLM, Ollama, llama.cpp) when none is configured: they accept any.
PLACEHOLDER_KEY = "EMPTY"

Messages = Sequence[dict[str, Any]]


@dataclass(frozen=True)
class ChatResult:
    text: str
    input_tokens: int
    output_tokens: int
    model: str
    attempts: int = 1


class _InvalidResponse(Exception):
    """The server answered 200 but not with a usable completion (retried like a 5xx)."""


def _retryable_status(status: int) -> bool:
    return status in (408, 409, 429) or status >= 500


def _retry_after_s(headers: Any) -> float | None:
    """Seconds from `retry-after-ms` or `retry-after` (seconds or an HTTP date), if present and sane."""
    if headers is None:
        return None
    for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            return max(0.0, float(value) / divisor)
        except ValueError:
            parsed = email.utils.parsedate_tz(value)
            if parsed is not None:
                return max(0.0, email.utils.mktime_tz(parsed) - time.time())
    return None


class OpenAICompatibleClient:
    """A thread-safe chat client for any OpenAI-compatible endpoint.

    The API key is `api_key`, else the environment variable named by `api_key_env`. With neither, a
    client for the official API (no `base_url`) raises `LLMConfigError`; a client with a `base_url`
    sends the placeholder key "EMPTY", which local servers such as vLLM and Ollama accept.

    Transient failures (429, 408, 409, 5xx, timeouts, connection errors, bodies that are not JSON) are
    retried up to `max_retries` times with exponential backoff and jitter, honouring Retry-After.
    Other 4xx answers fail at once. Pickling keeps the settings and starts fresh counters.
    """

    def __init__(self, base_url: str | None = None, model: str = "gpt-4o-mini", api_key: str | None = None,
                 api_key_env: str = "OPENAI_API_KEY", max_concurrency: int = 4, timeout_s: float = 60.0,
                 max_retries: int = 4, backoff_s: float = 1.0, requests_per_minute: float | None = None,
                 price_per_1k_input: float = 0.0, price_per_1k_output: float = 0.0) -> None:
        self._settings = dict(locals())  # the constructor's arguments, for pickling
        del self._settings["self"]
        for name, value, low in (("max_concurrency", max_concurrency, 1), ("timeout_s", timeout_s, 1e-9),
                                 ("max_retries", max_retries, 0), ("backoff_s", backoff_s, 0),
                                 ("price_per_1k_input", price_per_1k_input, 0),
                                 ("price_per_1k_output", price_per_1k_output, 0)):
            if not value >= low:
                raise LLMConfigError(f"LLM client setting `{name}` must be >= {low}, got {value!r}")
        if not model:
            raise LLMConfigError("LLM client setting `model` is empty")
        self.model = model
        self.max_concurrency, self.timeout_s = int(max_concurrency), float(timeout_s)
        self.max_retries, self.backoff_s = int(max_retries), float(backoff_s)
        self.price_per_1k_input, self.price_per_1k_output = price_per_1k_input, price_per_1k_output
        key = api_key or os.environ.get(api_key_env)
        if not key:
            if base_url is None:
                raise LLMConfigError(
                    f"no API key for model '{model}': set the environment variable {api_key_env} (its name is "
                    f"the config key `api_key_env`), or set `api_key`; a local server without keys needs `base_url`"
                )
            key = PLACEHOLDER_KEY
        self._openai = openai.OpenAI(base_url=base_url, api_key=key, timeout=self.timeout_s, max_retries=0)
        self.base_url = str(self._openai.base_url)
        self._slots = threading.BoundedSemaphore(self.max_concurrency)
        self._limiter = RateLimiter(requests_per_minute) if requests_per_minute else None
        self.usage = Usage()

    def __getstate__(self) -> dict[str, Any]:
        return dict(self._settings)

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state)

    def close(self) -> None:
        """Close the HTTP connection pool; the client cannot be used afterwards."""
        self._openai.close()

    @property
    def closed(self) -> bool:
        return self._openai.is_closed()

    def chat(self, messages: Messages, **create_kwargs: Any) -> ChatResult:
        """One chat completion; `create_kwargs` go to `chat.completions.create` (e.g. temperature, model)."""
        model = create_kwargs.pop("model", self.model)
        last_error: Exception | None = None
        for attempt in range(self.max_retries + 1):
            if attempt:
                self.usage.add(retries=1)
            if self._limiter is not None:
                self._limiter.wait()
            try:
                with self._slots:
                    completion = self._openai.chat.completions.create(
                        model=model, messages=list(messages), **create_kwargs)
                return self._result(completion, model, attempt + 1)
            except openai.APIStatusError as err:
                if not _retryable_status(err.status_code):
                    self.usage.add(failures=1)
                    error_type = LLMConfigError if err.status_code in (401, 403) else LLMError
                    raise error_type(f"{self.base_url} refused the request for '{model}' "
                                     f"(HTTP {err.status_code}): {err.message}") from err
                last_error, wait = err, _retry_after_s(err.response.headers)
            except (openai.APIConnectionError, openai.APIResponseValidationError, json.JSONDecodeError,
                    _InvalidResponse) as err:  # a timeout is an APIConnectionError; a garbled body, JSON's
                last_error, wait = err, None
            if attempt < self.max_retries:
                time.sleep(min(MAX_WAIT_S, wait if wait is not None else self._backoff(attempt)))
        self.usage.add(failures=1)
        raise LLMError(f"{self.base_url} failed for '{model}' after {self.max_retries + 1} attempts; "
                       f"last error: {type(last_error).__name__}: {last_error}") from last_error

    def chat_many(self, conversations: Sequence[Messages], **create_kwargs: Any) -> list[ChatResult | LLMError]:
        """Many chats at once, at most `max_concurrency` in flight; failures come back in place as `LLMError`."""

        def one(messages: Messages) -> ChatResult | LLMError:
            try:
                return self.chat(messages, **create_kwargs)
            except LLMError as err:
                return err

        if not conversations:
            return []
        with ThreadPoolExecutor(max_workers=min(self.max_concurrency, len(conversations))) as pool:
            return list(pool.map(one, conversations))

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with jitter (x0.5 to x1.5) so that parallel callers do not retry in step."""
        return self.backoff_s * (2**attempt) * random.uniform(0.5, 1.5)

    def _result(self, completion: Any, model: str, attempts: int) -> ChatResult:
        choices = getattr(completion, "choices", None)
        if not choices or getattr(choices[0], "message", None) is None:
            raise _InvalidResponse(f"the answer has no choices: {str(completion)[:200]!r}")
        usage = getattr(completion, "usage", None)
        input_tokens = int(getattr(usage, "prompt_tokens", 0) or 0)
        output_tokens = int(getattr(usage, "completion_tokens", 0) or 0)
        cost = (input_tokens * self.price_per_1k_input + output_tokens * self.price_per_1k_output) / 1000
        self.usage.add(requests=1, input_tokens=input_tokens, output_tokens=output_tokens, cost_usd=cost)
        return ChatResult(text=choices[0].message.content or "", input_tokens=input_tokens,
                          output_tokens=output_tokens, model=getattr(completion, "model", None) or model,
                          attempts=attempts)

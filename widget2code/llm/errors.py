"""Typed failures of the LLM client."""

from __future__ import annotations


class LLMError(RuntimeError):
    """A request failed for good: the endpoint was unreachable, refused it, or kept failing after retries."""


class LLMConfigError(LLMError, ValueError):
    """The client is misconfigured (no API key, bad setting); retrying cannot help."""

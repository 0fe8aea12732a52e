"""A vision-language model as judge, through any OpenAI-compatible API (OpenAI, vLLM, Ollama, ...).

Two modes:
- `absolute`: the judge sees the reference and one candidate and answers `{"score": 0-10, "reason"}`;
  the reward is score / 10.
- `pairwise`: the judge sees the reference and two candidates and answers `{"winner": "A"|"B"|"tie"}`.
  Every pair is asked in both orders, (A, B) and (B, A), and a win counts only when both answers agree,
  which cancels the judge's preference for a position. As a reward, each candidate meets the opponent
  given in `context["opponents"]` (same length as the candidates): win 1, tie 0.5, loss 0, a score
  relative to the opponents (`group_relative`, no absolute part). The round-robin tournament calls
  `compare_many` directly.

Answers are parsed strictly (one JSON object, optionally in a ```json fence). A malformed answer is
asked again, with the bad answer and a correction appended to the conversation, up to `parse_retries`
times; after that it counts as neutral (0.5 in absolute mode, a tie in pairwise mode) and the
`neutral` counter grows. Neutral outcomes are not cached, so a later run asks again.

Every parsed answer is cached (memory, and disk when `cache_dir` is set) under the sha256 of the PNG
bytes sent, the prompt name, version and text hash, the model, the mode and the temperature. A
candidate that did not render scores 0 (loses, in pairwise mode) without any request; two identical
candidates tie without one.

Transport failures (after the client's own retries) raise `LLMError` when `on_error="raise"` (the
default: a broken endpoint should stop a run, not quietly reward 0.5) or count as neutral with
`on_error="neutral"`. Token and cost totals are in `stats()` and, per candidate, in the breakdown.
`close()` closes the HTTP client (a later request opens a new one; `stats()` keep counting).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from PIL import Image

from widget2code.llm import LLMError, OpenAICompatibleClient
from widget2code.llm.images import image_to_data_url, png_bytes
from widget2code.render.result import RenderResult
from widget2code.rewards.base import Candidate, Reward, RewardOutput
from widget2code.rewards.judge_cache import JudgmentCache, cache_key
from widget2code.rewards.prompts import Prompt, load_prompt

Mode = Literal["absolute", "pairwise"]
Winner = Literal["A", "B", "tie"]

_SECTIONS = {
    "absolute": ("system", "reference", "candidate", "instruction", "repair"),
    "pairwise": ("system", "reference", "candidate_a", "candidate_b", "instruction", "repair"),
}
_FENCE = re.compile(r"^```(?:json)?\s*\n?(.*?)\n?```$", re.DOTALL)
_SWAP: dict[str, Winner] = {"A": "B", "B": "A", "tie": "tie"}
NEUTRAL_SCORE = 0.5


class MalformedAnswer(ValueError):
    """The judge's answer is not the JSON object the prompt asks for."""


def _json_object(text: str) -> dict[str, Any]:
    body = text.strip()
    fenced = _FENCE.match(body)
    if fenced:
        body = fenced.group(1).strip()
    try:
        value = json.loads(body)
    except ValueError as err:
        raise MalformedAnswer(f"the answer is not JSON ({err.msg})") from err
    if not isinstance(value, dict):
        raise MalformedAnswer(f"the answer is JSON but not an object: {type(value).__name__}")
    return value


def parse_score(text: str) -> dict[str, Any]:
    """`{"score": 0..10, "reason": str}` → `{"score": float, "reason": str}`; MalformedAnswer otherwise."""
    value = _json_object(text)
    score = value.get("score")
    if isinstance(score, bool) or not isinstance(score, int | float) or not math.isfinite(score):
        raise MalformedAnswer(f'"score" must be a number from 0 to 10, got {score!r}')
    if not 0 <= score <= 10:
        raise MalformedAnswer(f'"score" must be from 0 to 10, got {score}')
    return {"score": float(score), "reason": str(value.get("reason", ""))}


def parse_winner(text: str) -> dict[str, Any]:
    """`{"winner": "A"|"B"|"tie", "reason": str}` (case-insensitive) → normalised; MalformedAnswer otherwise."""
    value = _json_object(text)
    winner = value.get("winner")
    normalised = {"a": "A", "b": "B", "tie": "tie"}.get(winner.strip().lower()) if isinstance(winner, str) else None
    if normalised is None:
        raise MalformedAnswer(f'"winner" must be "A", "B" or "tie", got {winner!r}')
    return {"winner": normalised, "reason": str(value.get("reason", ""))}


@dataclass(frozen=True)
class _Ask:
    """One request to the judge: its cache key, the conversation, and the parser for the answer."""

    key: str
    messages: list[dict[str, Any]]
    parse: Callable[[str], dict[str, Any]]


@dataclass
class _Answer:
    value: dict[str, Any] | None  # None: neutral (malformed after retries, or failed with on_error=neutral)
    cached: bool = False
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0


@dataclass(frozen=True)
class PairVerdict:
    """The outcome of judging candidate A against candidate B in both orders."""

    winner: Winner
    first: Winner | None  # the answer with A shown first (None: neutral)
    second: Winner | None  # the answer with B shown first, mapped back to A/B labels
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    requests_cached: int = 0


class VLMJudgeReward(Reward):
    """Judge renders against their reference with a VLM; see the module docstring for the rules."""

    name = "vlm_judge"

    def __init__(self, mode: Mode = "absolute", base_url: str | None = None, model: str = "gpt-4o-mini",
                 api_key_env: str = "OPENAI_API_KEY", concurrency: int = 4, timeout_s: float = 60.0,
                 retries: int = 4, backoff_s: float = 1.0, requests_per_minute: float | None = None,
                 price_per_1k_input: float = 0.0, price_per_1k_output: float = 0.0,
                 cache_dir: str | None = None, prompt_name: str | None = None, prompt_version: str = "v1",
                 temperature: float | None = 0.0, max_tokens: int | None = 300, parse_retries: int = 2,
                 on_error: Literal["raise", "neutral"] = "raise", name: str | None = None) -> None:
        if mode not in _SECTIONS:
            raise ValueError(f"VLMJudgeReward mode must be 'absolute' or 'pairwise', got {mode!r}")
        if on_error not in ("raise", "neutral"):
            raise ValueError(f"VLMJudgeReward on_error must be 'raise' or 'neutral', got {on_error!r}")
        if parse_retries < 0:
            raise ValueError(f"VLMJudgeReward parse_retries must be >= 0, got {parse_retries}")
        self.mode: Mode = mode
        self.group_relative = mode == "pairwise"
        self.name = name or ("vlm_judge" if mode == "absolute" else "vlm_judge_pairwise")
        self.prompt: Prompt = load_prompt(prompt_name or f"judge_{mode}", prompt_version, _SECTIONS[mode])
        self.model, self.temperature, self.max_tokens = model, temperature, max_tokens
        self.parse_retries, self.on_error = parse_retries, on_error
        self.client_settings = {
            "base_url": base_url, "model": model, "api_key_env": api_key_env, "max_concurrency": concurrency,
            "timeout_s": timeout_s, "max_retries": retries, "backoff_s": backoff_s,
            "requests_per_minute": requests_per_minute, "price_per_1k_input": price_per_1k_input,
            "price_per_1k_output": price_per_1k_output,
        }
        self.cache = JudgmentCache(cache_dir)
        self._client: OpenAICompatibleClient | None = None
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    # -- pickling: the client (sockets, threads) is made again on first use; counters start afresh --
    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.update(_client=None, _lock=None, _counts=None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock, self._counts = threading.Lock(), Counter()

    @property
    def client(self) -> OpenAICompatibleClient:
        """The API client, made on first use (so a config without a key can be built, just not used)."""
        with self._lock:
            if self._client is None:
                self._client = OpenAICompatibleClient(**self.client_settings)
            return self._client

    def stats(self) -> dict[str, float]:
        """Totals for logging: the client's requests, tokens, cost, retries and failures, plus the
        judge's cache hits, malformed answers and neutral outcomes."""
        with self._lock:
            totals = Counter(self._counts)  # the judge's counters and the usage of closed clients
            if self._client is not None:
                totals.update(self._client.usage.as_dict())
        return {k: totals.get(k, 0) for k in ("requests", "input_tokens", "output_tokens", "cost_usd", "retries",
                                              "failures", "cache_hits", "malformed", "neutral")}

    def close(self) -> None:
        """Close the HTTP client; its usage stays in `stats()`, and a later request opens a new one."""
        with self._lock:
            client, self._client = self._client, None
            if client is not None:
                self._counts.update(client.usage.as_dict())
        if client is not None:
            client.close()

    def _count(self, **deltas: int) -> None:
        with self._lock:
            self._counts.update(deltas)

    # -- scoring --------------------------------------------------------------------------------
    def score(self, references: Sequence[Image.Image], candidates: Sequence[Candidate],
              **context: object) -> RewardOutput:
        if len(references) != len(candidates):
            raise ValueError(f"{self.name}: {len(references)} references for {len(candidates)} candidates")
        if self.mode == "absolute":
            return self._score_absolute(references, candidates)
        opponents = context.get("opponents")
        if not isinstance(opponents, Sequence) or len(opponents) != len(candidates):
            raise ValueError(f"{self.name} (pairwise) needs context['opponents']: one opponent per candidate "
                             f"({len(candidates)}), got {type(opponents).__name__}")
        verdicts = self.compare_many(list(zip(references, candidates, opponents, strict=True)))
        totals = [{"A": 1.0, "B": 0.0, "tie": 0.5}[v.winner] for v in verdicts]
        errors = [_render_error(c) for c in candidates]
        return RewardOutput(total=totals, errors=errors, components={
            "neutral": [float(v.first is None or v.second is None) for v in verdicts],
            "input_tokens": [float(v.input_tokens) for v in verdicts],
            "output_tokens": [float(v.output_tokens) for v in verdicts],
            "cost_usd": [v.cost_usd for v in verdicts],
        })

    def _score_absolute(self, references: Sequence[Image.Image], candidates: Sequence[Candidate]) -> RewardOutput:
        images = _ImageTable()
        asks: list[_Ask | None] = []
        for reference, candidate in zip(references, candidates, strict=True):
            picture = images.of_candidate(candidate)
            if picture is None:
                asks.append(None)
                continue
            ref = images.of_reference(reference)
            content = [_text(self.prompt["reference"]), images.part(ref), _text(self.prompt["candidate"]),
                       images.part(picture), _text(self.prompt["instruction"])]
            asks.append(_Ask(self._key(ref, picture), self._conversation(content), parse_score))
        answers = self._ask([a for a in asks if a is not None])
        totals, rows = [], []
        for ask in asks:
            answer = answers[ask.key] if ask is not None else None
            if answer is None:
                totals.append(0.0)
            else:
                totals.append(NEUTRAL_SCORE if answer.value is None else answer.value["score"] / 10.0)
            rows.append(answer or _Answer(value={}))
        return RewardOutput(total=totals, errors=[_render_error(c) for c in candidates], components={
            "neutral": [float(r.value is None) for r in rows],
            "cache_hit": [float(r.cached) for r in rows],
            "input_tokens": [float(r.input_tokens) for r in rows],
            "output_tokens": [float(r.output_tokens) for r in rows],
            "cost_usd": [r.cost_usd for r in rows],
        })

    def compare_many(self, triples: Sequence[tuple[Image.Image, Candidate, Candidate]]) -> list[PairVerdict]:
        """Judge (reference, A, B) triples, each in both orders; all requests go out together."""
        if self.mode != "pairwise":
            raise ValueError(f"{self.name}: compare_many needs mode='pairwise', this judge is {self.mode!r}")
        images = _ImageTable()
        plans: list[PairVerdict | tuple[_Ask, _Ask]] = []
        for reference, a, b in triples:
            pic_a, pic_b = images.of_candidate(a), images.of_candidate(b)
            if pic_a is None or pic_b is None or pic_a == pic_b:  # decided without asking
                winner: Winner = "tie" if pic_a == pic_b else ("B" if pic_a is None else "A")
                plans.append(PairVerdict(winner=winner, first=winner, second=winner))
                continue
            ref = images.of_reference(reference)
            plans.append((self._pair_ask(images, ref, pic_a, pic_b), self._pair_ask(images, ref, pic_b, pic_a)))
        answers = self._ask([ask for plan in plans if isinstance(plan, tuple) for ask in plan])
        verdicts = []
        for plan in plans:
            if isinstance(plan, PairVerdict):
                verdicts.append(plan)
                continue
            first, second = answers[plan[0].key], answers[plan[1].key]
            said_first = None if first.value is None else first.value["winner"]
            said_second = None if second.value is None else _SWAP[second.value["winner"]]
            agreed = said_first is not None and said_first == said_second
            verdicts.append(PairVerdict(
                winner=said_first if agreed else "tie", first=said_first, second=said_second,
                input_tokens=first.input_tokens + second.input_tokens,
                output_tokens=first.output_tokens + second.output_tokens,
                cost_usd=first.cost_usd + second.cost_usd, requests_cached=int(first.cached) + int(second.cached)))
        return verdicts

    def _pair_ask(self, images: _ImageTable, ref: str, shown_first: str, shown_second: str) -> _Ask:
        content = [_text(self.prompt["reference"]), images.part(ref), _text(self.prompt["candidate_a"]),
                   images.part(shown_first), _text(self.prompt["candidate_b"]), images.part(shown_second),
                   _text(self.prompt["instruction"])]
        return _Ask(self._key(ref, shown_first, shown_second), self._conversation(content), parse_winner)

    def _key(self, *image_hashes: str) -> str:
        return cache_key(mode=self.mode, model=self.model, prompt=self.prompt.name, version=self.prompt.version,
                         prompt_sha256=self.prompt.sha256, temperature=self.temperature, images=image_hashes)

    def _conversation(self, content: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{"role": "system", "content": self.prompt["system"]}, {"role": "user", "content": content}]

    def _ask(self, asks: Sequence[_Ask]) -> dict[str, _Answer]:
        """Answers by key: from the cache, else from the judge (malformed answers asked again)."""
        answers: dict[str, _Answer] = {}
        pending: dict[str, _Ask] = {}
        for ask in asks:
            if ask.key in answers or ask.key in pending:
                continue
            cached = self.cache.get(ask.key)
            if cached is not None:
                answers[ask.key] = _Answer(value=cached, cached=True)
                self._count(cache_hits=1)
            else:
                pending[ask.key] = ask
        spent = {key: _Answer(value=None) for key in pending}
        create_kwargs = {k: v for k, v in (("temperature", self.temperature), ("max_tokens", self.max_tokens))
                         if v is not None}
        for attempt in range(self.parse_retries + 1):
            if not pending:
                break
            results = self.client.chat_many([ask.messages for ask in pending.values()], **create_kwargs)
            retry: dict[str, _Ask] = {}
            for (key, ask), result in zip(pending.items(), results, strict=True):
                if isinstance(result, LLMError):
                    if self.on_error == "raise":
                        raise result
                    continue  # neutral: spent[key].value stays None
                spent[key].input_tokens += result.input_tokens
                spent[key].output_tokens += result.output_tokens
                spent[key].cost_usd += self._cost(result.input_tokens, result.output_tokens)
                try:
                    spent[key].value = ask.parse(result.text)
                except MalformedAnswer as err:
                    self._count(malformed=1)
                    if attempt < self.parse_retries:
                        repair = self.prompt["repair"].format(error=err)
                        retry[key] = _Ask(key, [*ask.messages, {"role": "assistant", "content": result.text},
                                                {"role": "user", "content": repair}], ask.parse)
                    continue
                self.cache.put(key, spent[key].value)
            pending = retry
        self._count(neutral=sum(a.value is None for a in spent.values()))
        return {**answers, **spent}

    def _cost(self, input_tokens: int, output_tokens: int) -> float:
        settings = self.client_settings
        return (input_tokens * settings["price_per_1k_input"] + output_tokens * settings["price_per_1k_output"]) / 1000


class _ImageTable:
    """PNG bytes → sha256 and data URL, each image encoded once per call (a reference repeats per group)."""

    def __init__(self) -> None:
        self.urls: dict[str, str] = {}
        self._by_id: dict[int, str] = {}

    def _add(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        if digest not in self.urls:
            self.urls[digest] = image_to_data_url(data)
        return digest

    def of_reference(self, reference: Image.Image) -> str:
        if id(reference) not in self._by_id:
            self._by_id[id(reference)] = self._add(png_bytes(reference))
        return self._by_id[id(reference)]

    def of_candidate(self, candidate: Candidate) -> str | None:
        """The hash of a candidate's picture, or None when it did not render."""
        if candidate is None or (isinstance(candidate, RenderResult) and not candidate.ok):
            return None
        if isinstance(candidate, RenderResult):
            return self._add(candidate.png or png_bytes(candidate.image))
        return self.of_reference(candidate)

    def part(self, digest: str) -> dict[str, Any]:
        return {"type": "image_url", "image_url": {"url": self.urls[digest]}}


def _text(text: str) -> dict[str, str]:
    return {"type": "text", "text": text}


def _render_error(candidate: Candidate) -> str | None:
    if candidate is None:
        return "missing"
    if isinstance(candidate, RenderResult) and not candidate.ok:
        return str(candidate.error_kind)
    return None

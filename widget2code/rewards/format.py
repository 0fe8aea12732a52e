"""The format reward: does a completion follow the output format, and does its code compile?

Candidates here are completion TEXTS, not pictures: the reward reads `context["completions"]`
(one string per candidate) when given, which is how a composite passes them alongside the renders;
otherwise every candidate must itself be a string. References are not used.

Checks, each worth its weight (from config; normalised to sum to 1) when it passes:
- `tags`: the text is exactly `<think>…</think><code>…</code>` (`parse_completion(...).well_formed`).
- `syntax`: the code (recovered leniently, e.g. without a think block) parses as TSX.
- `imports`: it imports only what the renderer allows ('react').
- `component`: it has a default export, so the whole compile succeeds.
The renderer's compile step (esbuild in the Node worker, no browser) decides the last three. It
stops at the first failing stage, in the order syntax → imports → default export, so a stage after
the failing one is unverified and earns nothing: the credits form a ladder that rises as the code
gets closer to renderable.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from typing import Any

from PIL import Image

from widget2code.render import Compiler, CompileResult, ErrorKind
from widget2code.rewards.base import Candidate, Reward, RewardOutput, normalize_weights
from widget2code.task import parse_completion

CHECKS = ("tags", "syntax", "imports", "component")
DEFAULT_WEIGHTS = {check: 0.25 for check in CHECKS}
# The compile stages each outcome got past, in the compiler's order.
_PASSED = {
    None: ("syntax", "imports", "component"),  # compiled
    ErrorKind.NO_COMPONENT: ("syntax", "imports"),
    ErrorKind.IMPORT: ("syntax",),
}


class FormatReward(Reward):
    """Partial credit for the completion format and for how far its code gets through the compiler."""

    name = "format"

    def __init__(self, weights: Mapping[str, float] | None = None, compile_timeout_s: float = 10.0,
                 workers: int = 1, import_profile: str = "strict") -> None:
        self.weights = normalize_weights(DEFAULT_WEIGHTS if weights is None else weights, list(CHECKS),
                                         "check")
        self.compile_timeout_s, self.workers = compile_timeout_s, workers
        # The task's contract (widget2code.task.SYSTEM_PROMPT) is "import nothing but react": the
        # renderer's default profile renders more, but the format reward checks the contract.
        self.import_profile = import_profile
        self._compiler: Compiler | None = None
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_compiler": None, "_lock": None}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def _compile_many(self, sources: list[str]) -> list[CompileResult]:
        if not sources:  # nothing to compile: no need to start Node
            return []
        with self._lock:
            if self._compiler is None:  # started on first use: building the reward must not need Node
                self._compiler = Compiler(workers=self.workers, timeout_s=self.compile_timeout_s,
                                          import_profile=self.import_profile).__enter__()
            compiler = self._compiler
        return compiler.compile_many(sources)

    def close(self) -> None:
        """Stop the compile worker (it is started again if the reward is used afterwards)."""
        with self._lock:
            if self._compiler is not None:
                self._compiler.close()
                self._compiler = None

    def score(self, references: Sequence[Image.Image], candidates: Sequence[Candidate | str],
              **context: object) -> RewardOutput:
        texts = _completions(candidates, context)
        parsed = [parse_completion(text) for text in texts]
        to_compile = [i for i, p in enumerate(parsed) if p.code is not None]
        compiled = dict(zip(to_compile, self._compile_many([parsed[i].code for i in to_compile]), strict=True))
        components: dict[str, list[float]] = {check: [] for check in CHECKS}
        errors: list[str | None] = []
        for i, completion in enumerate(parsed):
            result = compiled.get(i)
            passed = set(_PASSED.get(result.error_kind, ())) if result is not None else set()
            if completion.well_formed:
                passed.add("tags")
            for check in CHECKS:
                components[check].append(float(check in passed))
            errors.append("no_code" if result is None else (None if result.ok else str(result.error_kind)))
        totals = [sum(self.weights[c] * components[c][i] for c in CHECKS) for i in range(len(texts))]
        return RewardOutput(total=totals, components=components, errors=errors)


def _completions(candidates: Sequence[object], context: Mapping[str, object]) -> list[str]:
    texts = context.get("completions")
    if texts is None:
        texts = candidates
    elif not isinstance(texts, Sequence) or len(texts) != len(candidates):
        raise ValueError(f"context['completions'] must hold one completion per candidate ({len(candidates)}), "
                         f"got {type(texts).__name__} of length {len(texts) if isinstance(texts, Sequence) else '?'}")
    bad = [i for i, text in enumerate(texts) if not isinstance(text, str)]
    if bad:
        raise ValueError(f"the format reward scores completion texts: pass context['completions'] or string "
                         f"candidates; item {bad[0]} is a {type(texts[bad[0]]).__name__}")
    return list(texts)

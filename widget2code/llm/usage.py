"""Token, cost and failure counters shared by every thread of one client."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, fields


@dataclass
class Usage:
    requests: int = 0  # successful completions
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0
    retries: int = 0  # attempts repeated after a transient error
    failures: int = 0  # requests given up on
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, **deltas: float) -> None:
        """Add to several counters at once (atomically, so a snapshot never sees half an update)."""
        with self._lock:
            for name, delta in deltas.items():
                setattr(self, name, getattr(self, name) + delta)

    def as_dict(self) -> dict[str, float]:
        with self._lock:
            return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "_lock"}

    def __getstate__(self) -> dict[str, float]:
        return self.as_dict()

    def __setstate__(self, state: dict[str, float]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

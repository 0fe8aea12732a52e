"""Spacing requests evenly to stay under a requests-per-minute quota, across threads.

Hand-written: it is a dozen lines, and the rate-limit packages on PyPI either block per call site or
pull in storage back ends we do not need.
"""

from __future__ import annotations

import threading
import time


class RateLimiter:
    """Hands out start times at least `60 / requests_per_minute` seconds apart."""

    def __init__(self, requests_per_minute: float) -> None:
        if not requests_per_minute > 0:
            raise ValueError(f"requests_per_minute must be > 0, got {requests_per_minute!r}")
        self.interval_s = 60.0 / requests_per_minute
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        """Block until this caller's slot comes (slots are reserved under the lock, slept outside it)."""
        with self._lock:
            now = time.monotonic()
            slot = max(now, self._next)
            self._next = slot + self.interval_s
        time.sleep(max(0.0, slot - now))

"""Render settings: everything that changes pixels is here, and all of it is part of the cache key."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class RenderSettings:
    viewport_width: int = 1280
    viewport_height: int = 1024
    device_scale_factor: float = 1.0
    #: Page background behind the widget (CSS colour); reward metrics composite alpha onto it too.
    background: str = "#ffffff"
    #: Space kept around the widget's box so shadows are not cut (48 px keeps `shadow-2xl`).
    margin: int = 48
    max_width: int = 2048
    max_height: int = 2048
    #: Per-render limit for load + mount + paint, in seconds; a hang is killed within this + 1 s.
    timeout_s: float = 5.0
    #: V8 heap cap per page: a widget that allocates past it crashes its page, not the machine.
    max_heap_mb: int = 256

    def __post_init__(self) -> None:
        for name in ("viewport_width", "viewport_height", "max_width", "max_height", "max_heap_mb"):
            if getattr(self, name) <= 0:
                raise ValueError(f"render setting {name} must be positive, got {getattr(self, name)}")
        if self.margin < 0 or self.timeout_s <= 0 or self.device_scale_factor <= 0:
            raise ValueError(f"render settings out of range: margin={self.margin}, "
                             f"timeout_s={self.timeout_s}, device_scale_factor={self.device_scale_factor}")

    def pixel_key(self) -> str:
        """The settings that decide pixels, as a stable string (the timeout does not change pixels)."""
        fields = asdict(self)
        fields.pop("timeout_s")
        return json.dumps(fields, sort_keys=True)

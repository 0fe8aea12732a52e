"""Render settings: everything that changes pixels is here, and all of it is part of the cache key."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

#: The Node side of the renderer: compile worker, page template, clock, import profiles, shadcn components.
RENDER_DIR = Path(__file__).resolve().parents[2] / "render"
#: What a widget may import, by profile name (render/profiles.json; the compile worker reads the same file).
IMPORT_PROFILES: dict[str, dict] = json.loads((RENDER_DIR / "profiles.json").read_text(encoding="utf-8"))


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
    #: What a widget may import: `default` (react, lucide-react, recharts, react-icons/*, echarts; the official
    #: renderer's globals too), `strict` (react only), `shadcn` (default plus bundled @/components/ui/* and
    #: shadcn's theme) or `widget2code` (the official Widget2Code renderer's page: its globals, no Tailwind).
    import_profile: str = "default"
    #: Virtual time run before the capture: timers and animation frames due within it fire, later ones never.
    virtual_time_ms: int = 2000

    def __post_init__(self) -> None:
        for name in ("viewport_width", "viewport_height", "max_width", "max_height", "max_heap_mb"):
            if getattr(self, name) <= 0:
                raise ValueError(f"render setting {name} must be positive, got {getattr(self, name)}")
        if self.margin < 0 or self.timeout_s <= 0 or self.device_scale_factor <= 0 or self.virtual_time_ms < 0:
            raise ValueError(f"render settings out of range: margin={self.margin}, timeout_s={self.timeout_s}, "
                             f"device_scale_factor={self.device_scale_factor}, virtual_time_ms={self.virtual_time_ms}")
        if self.import_profile not in IMPORT_PROFILES:
            raise ValueError(f"unknown import_profile '{self.import_profile}' "
                             f"(known: {', '.join(IMPORT_PROFILES)})")

    def pixel_key(self) -> str:
        """The settings that decide pixels, as a stable string (the timeout does not change pixels)."""
        fields = asdict(self)
        fields.pop("timeout_s")
        return json.dumps(fields, sort_keys=True)

"""The one line a run starts with: what runs, on which model and data, on which device.

`training_banner(cfg)` reads a composed training config (conf/train.yaml), `demo_banner(cfg)` the
demo's (conf/demo.yaml); both go through `banner`, so every run announces itself the same way.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any


def banner(task: str, model: str, data: str, device: str) -> str:
    return f"widget2code · {task} · model: {model} · data: {data} · device: {device}"


def device_summary(accelerator: str = "auto", devices: Any = "auto") -> str:
    """What Lightning will compute on for `trainer.accelerator` / `trainer.devices`."""
    import torch

    if accelerator in ("gpu", "cuda", "auto") and torch.cuda.is_available():
        count = devices if isinstance(devices, int) and devices > 0 else torch.cuda.device_count()
        return f"{count} × {torch.cuda.get_device_name(0)}"
    if accelerator in ("cpu", "auto"):
        return f"cpu ({len(os.sched_getaffinity(0))} cores)"
    return str(accelerator)


def model_summary(model: Mapping[str, Any]) -> str:
    """A model config (conf/model/*): the checkpoint it loads, or the tiny random model it builds."""
    name = model.get("model_name_or_path")
    if name:
        described = str(name) + (f" ({model['quantization']})" if model.get("quantization") else "")
    else:
        described = f"tiny random {model.get('family', '?')} ({model.get('preset', '?')} preset)"
    adapter = model.get("adapter_path")
    return described + (f" + adapter {adapter}" if adapter else "")


def training_banner(cfg: Mapping[str, Any]) -> str:
    trainer = cfg.get("trainer") or {}
    peft = (cfg.get("peft") or {}).get("method", "none")
    return banner(f"{cfg.get('task_name', 'train')} ({cfg['module'].get('mode', '?')}, peft {peft})",
                  model_summary(cfg["model"]), str(cfg["data"]["dataset_dir"]),
                  device_summary(str(trainer.get("accelerator", "auto")), trainer.get("devices", "auto")))


def demo_banner(cfg: Mapping[str, Any]) -> str:
    stages = " → ".join(stage["name"] for stage in cfg["stages"])
    pipeline = cfg["pipeline"]
    return banner(f"demo: {stages}, then evaluation", "each stage's own, named as it starts",
                  f"{pipeline['num_samples']} synthetic widgets → {pipeline['out_dir']}",
                  device_summary("cpu"))  # the demo's experiments train on the CPU (trainer=cpu)

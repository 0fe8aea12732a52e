"""AdamW over the trainable parameters, with linear warm-up then cosine decay, for every module.

The vision tower may learn at its own rate (`vision_lr_scale`): a tiny model trained from scratch on
a CPU needs its image path to move faster than the language model to learn to see at all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch
from transformers import get_cosine_with_min_lr_schedule_with_warmup


@dataclass
class OptimizerSettings:
    lr: float = 2e-4
    weight_decay: float = 0.0
    betas: tuple[float, float] = (0.9, 0.999)
    eps: float = 1e-8
    #: the vision tower's learning rate is lr × this (only where its parameters train)
    vision_lr_scale: float = 1.0
    #: warm-up length: a number of optimizer steps, or, when below 1, a fraction of all steps
    warmup: float = 0.05
    #: cosine decay ends at lr × this
    min_lr_ratio: float = 0.0

    def __post_init__(self) -> None:
        if self.lr < 0:
            raise ValueError(f"optimizer lr must be >= 0, got {self.lr}")
        if self.warmup < 0:
            raise ValueError(f"optimizer warmup must be >= 0 (steps, or a fraction below 1), got {self.warmup}")
        if not 0.0 <= self.min_lr_ratio <= 1.0:
            raise ValueError(f"optimizer min_lr_ratio must be in [0, 1], got {self.min_lr_ratio}")

    def warmup_steps(self, total_steps: int) -> int:
        return int(self.warmup * total_steps) if self.warmup < 1 else int(self.warmup)


def is_vision_parameter(name: str) -> bool:
    """Both model families keep their vision tower under `model.visual` (PEFT adds a prefix)."""
    return ".visual." in f".{name}"


def parameter_groups(model: torch.nn.Module, settings: OptimizerSettings) -> list[dict[str, Any]]:
    """Trainable parameters in up to two groups: the language side at lr, the vision tower at its scale."""
    language, vision = [], []
    for name, parameter in model.named_parameters():
        if parameter.requires_grad:
            (vision if is_vision_parameter(name) else language).append(parameter)
    if not language and not vision:
        raise ValueError("the model has no trainable parameters: check the peft config (method, target_modules)")
    groups = [{"params": language, "lr": settings.lr, "name": "language"}] if language else []
    if vision:
        groups.append({"params": vision, "lr": settings.lr * settings.vision_lr_scale, "name": "vision"})
    return groups


def configure_adamw(model: torch.nn.Module, settings: OptimizerSettings, total_steps: int) -> dict[str, Any]:
    """Lightning's `configure_optimizers` answer: AdamW and a per-step warm-up + cosine scheduler."""
    optimizer = torch.optim.AdamW(
        parameter_groups(model, settings), lr=settings.lr, betas=tuple(settings.betas), eps=settings.eps,
        weight_decay=settings.weight_decay,
    )
    total_steps = max(1, int(total_steps))
    scheduler = get_cosine_with_min_lr_schedule_with_warmup(
        optimizer, num_warmup_steps=settings.warmup_steps(total_steps), num_training_steps=total_steps,
        min_lr_rate=settings.min_lr_ratio,
    )
    return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step", "frequency": 1}}

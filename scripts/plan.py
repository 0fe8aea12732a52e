"""Plan an experiment's real model without its weights:

    python scripts/plan.py experiment=grpo_qwen_clip [key=value ...] [plan.gpus=8] [plan.prompt_tokens=1024]

Builds the architecture on the meta device, applies the experiment's PEFT config, and prints a table:
total and trainable parameters, the modules each LoRA target matched (an error if one matches nothing),
and bytes per GPU (weights, gradients, optimizer state, activations) at the experiment's sequence
length for one GPU, DDP, FSDP and ZeRO-2 over `plan.gpus` GPUs. The last line is one JSON object with
`total_params`, `trainable_params` and the rest. How each figure is estimated: widget2code/models/plan.py.

The sequence: SFT, `data.batch_size` rows of `data.max_length` tokens; GRPO, `module.grpo.mini_batch_size`
rows of `plan.prompt_tokens` (the instructions and a screenshot's image tokens) + `max_new_tokens`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from hydra import compose, initialize_config_dir
from hydra.utils import instantiate
from omegaconf import DictConfig
from rich.console import Console
from rich.table import Table

from widget2code.entry import run_entry
from widget2code.models.adapters import AdapterError
from widget2code.models.plan import STRATEGIES, Plan, PlanError, Workload, plan

CONF = Path(__file__).resolve().parents[1] / "conf"
OPTIONS = {"plan.gpus": 8, "plan.prompt_tokens": 1024}


def options(argv: list[str]) -> tuple[dict[str, int], list[str]]:
    """The plan's own `plan.*=N` options, and the config overrides."""
    chosen, overrides = dict(OPTIONS), []
    for arg in argv:
        key, _, value = arg.partition("=")
        if key in OPTIONS:
            if not value.isdigit() or int(value) < 1:
                raise PlanError(f"{key} must be a positive integer, got {value!r}")
            chosen[key] = int(value)
        else:
            overrides.append(arg)
    return chosen, overrides


def workload(cfg: DictConfig, prompt_tokens: int) -> Workload:
    checkpointing = bool(cfg.peft.get("gradient_checkpointing", False))
    grpo = cfg.module.get("grpo")
    if grpo is not None:
        completion = int(grpo.max_new_tokens)
        chunk = min(int(grpo.logprob_chunk_size or completion), completion)
        return Workload(int(grpo.mini_batch_size), prompt_tokens + completion, chunk, checkpointing)
    length = int(cfg.data.max_length)
    return Workload(int(cfg.data.batch_size), length, length, checkpointing)


def show(result: Plan, experiment: str) -> None:
    gib = 2**30
    console = Console(width=120)
    console.print(f"[bold]{experiment}[/]: {result.model} ({result.model_type}), {result.gpus} GPUs, micro-batch "
                  f"{result.workload.rows} × {result.workload.tokens} tokens")
    console.print(f"parameters: {result.total_params:,} total, {result.trainable_params:,} trainable "
                  f"({100 * result.trainable_share:.2f} %)")
    if result.matched:
        console.print("LoRA targets: " + ", ".join(f"{name} × {count}" for name, count in result.matched.items()))
    table = Table("GiB per GPU", "weights", "gradients", "optimizer", "activations", "total")
    for name in STRATEGIES:
        memory = result.memory[name]
        if memory is None:
            table.add_row(name, "refused: QLoRA", "", "", "", "")
        else:
            table.add_row(name, *(f"{value / gib:.1f}" for value in (
                memory.weights, memory.gradients, memory.optimizer, memory.activations, memory.total)))
    console.print(table)


def main(argv: list[str]) -> None:
    chosen, overrides = options(argv)
    with initialize_config_dir(str(CONF), version_base="1.3"):
        cfg = compose("train", overrides=overrides)
    if "model_name_or_path" not in cfg.model:
        raise PlanError("plan.py plans the real models (model=glm41v_9b, qwen3vl_8b, or from_run with a local "
                        "directory); the tiny ones build in a second: train them")
    result = plan(str(cfg.model.model_name_or_path), instantiate(cfg.peft), cfg.model.get("quantization"),
                  workload(cfg, chosen["plan.prompt_tokens"]), chosen["plan.gpus"])
    show(result, str(cfg.get("task_name")))
    print(json.dumps({"experiment": cfg.get("task_name"), **result.as_json()}))


if __name__ == "__main__":
    run_entry(lambda: main(sys.argv[1:]), interrupted="plan interrupted", user_errors=(PlanError, AdapterError))

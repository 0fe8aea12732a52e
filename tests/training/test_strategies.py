"""The distributed strategies compose with the real-model experiments, say in one line what cannot work,
and cut the tiny real architectures into the FSDP units the strategy promises."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from hydra.errors import InstantiationException
from hydra.utils import instantiate
from lightning.pytorch.plugins.precision.fsdp import FSDPPrecision
from lightning.pytorch.strategies import DDPStrategy
from omegaconf import DictConfig
from training_runs import compose_train, tiny_overrides

from widget2code.data.tiny_model import build_tiny_from_dataset
from widget2code.models.adapters import AdapterSettings, attach_adapters
from widget2code.training import strategies
from widget2code.training.strategies import FSDP, DeepSpeed, StrategyError, deepspeed_config, unit_policy

ROOT = Path(__file__).resolve().parents[2]
REAL = ["sft_glm", "grpo_glm", "sft_qwen", "grpo_qwen_clip"]
QLORA = {"sft_qwen", "grpo_qwen_clip"}


def composed(experiment: str, trainer: str) -> DictConfig:
    return compose_train([f"experiment={experiment}", f"trainer={trainer}", "paths.output_dir=unused"])


def build(node: DictConfig) -> object:
    """`instantiate`, raising what the target raised (Hydra wraps it) as train.py's entry point reports it."""
    try:
        return instantiate(node)
    except InstantiationException as err:
        raise err.__cause__ from None


@pytest.mark.parametrize("experiment", REAL)
def test_every_strategy_composes_with_the_real_experiments(experiment: str, monkeypatch: pytest.MonkeyPatch) -> None:
    grpo = composed(experiment, "gpu").module.get("grpo")
    for trainer in ("ddp", "fsdp", "fsdp_cpu", "deepspeed"):
        cfg = composed(experiment, trainer)
        # the experiment's own choices survive the trainer override
        assert cfg.trainer.gradient_clip_val == (None if grpo else 1.0) and cfg.peft.method in ("lora", "qlora")
    assert isinstance(build(composed(experiment, "ddp").trainer.strategy), DDPStrategy)

    deepspeed = composed(experiment, "deepspeed").trainer.strategy
    # clipping lives in DeepSpeed's config: GRPO's max_grad_norm, SFT's gradient_clip_val
    assert deepspeed.gradient_clipping == (grpo.max_grad_norm if grpo else 1.0)
    assert deepspeed.backward_passes_per_step == (grpo.gradient_accumulation if grpo else 1)
    config = deepspeed_config(deepspeed.stage, deepspeed.offload_optimizer, deepspeed.gradient_clipping)
    assert config["gradient_clipping"] == 1.0 and config["zero_optimization"]["stage"] == 2

    fsdp = composed(experiment, "fsdp").trainer.strategy
    if experiment in QLORA:
        with pytest.raises(StrategyError, match="cannot train QLoRA"):
            build(fsdp)
        return
    with pytest.raises(StrategyError, match="runs on CUDA GPUs and this machine has none; on a CPU use"):
        build(fsdp)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)  # the checks pass on a GPU machine
    built = build(fsdp)
    assert isinstance(built, FSDP) and built._state_dict_type == "full" and built.kwargs["use_orig_params"]
    assert {"Glm4vTextDecoderLayer", "Qwen3VLTextDecoderLayer"} <= set(built.layer_classes)
    built.precision_plugin = FSDPPrecision("bf16-mixed")  # what Lightning's connector hands every strategy
    assert type(built.precision_plugin).__name__ == "_RootClippingPrecision"
    assert built.precision_plugin.precision == "bf16-mixed"


def test_deepspeed_refuses_what_it_cannot_do_before_looking_for_the_package() -> None:
    with pytest.raises(StrategyError, match="stage 3 shards the weights"):
        DeepSpeed(stage=3)
    with pytest.raises(StrategyError, match="keeps only the last of 2 backward passes"):
        DeepSpeed(offload_optimizer=True, backward_passes_per_step=2)
    if importlib.util.find_spec("deepspeed") is None:
        with pytest.raises(StrategyError, match=r"needs the deepspeed package: pip install '\.\[gpu\]'"):
            DeepSpeed()


@pytest.mark.parametrize("family", ["glm4v", "qwen3vl"])
def test_fsdp_units_are_layers_blocks_and_lora_matrices_each_of_one_dtype(widget_dataset: Path, family: str) -> None:
    base = build_tiny_from_dataset(family, widget_dataset, preset="tiny").model  # type: ignore[arg-type]
    # a bfloat16 base as on a GPU: PEFT keeps the LoRA matrices in float32 beside it
    model = attach_adapters(base.to(torch.bfloat16), AdapterSettings(r=4, alpha=8, target_modules=["q_proj", "v_proj"],
                                                                     train_vision=True))
    units = set(unit_policy(model, strategies.LAYER_CLASSES)._run_policy(model, set(), {}))
    names = {name for name, module in model.named_modules() if module in units}
    layers = 2  # the tiny preset: 2 decoder layers, 2 vision blocks
    assert sum(".lora_A." in n or ".lora_B." in n for n in names) == 2 * 2 * layers  # q and v, A and B
    assert sum(n.endswith(tuple(f"layers.{i}" for i in range(layers))) for n in names) == layers
    # the trained copy of the vision tower stays in its parent's unit (PEFT reads its keys on export)
    assert sum(".original_module.blocks." in n for n in names) == layers
    assert not any(".modules_to_save." in n for n in names)

    # FSDP1 flattens each unit's own parameters (not those of units inside it) into one tensor of one dtype
    owner: dict[torch.nn.Parameter, torch.nn.Module] = {}
    for module in model.modules():  # parents before children: the innermost unit wins
        if module in units or module is model:
            owner.update(dict.fromkeys(module.parameters(), module))
    dtypes: dict[int, set[torch.dtype]] = {}
    for parameter, unit in owner.items():
        dtypes.setdefault(id(unit), set()).add(parameter.dtype)
    assert all(len(kinds) == 1 for kinds in dtypes.values())
    assert {kind for kinds in dtypes.values() for kind in kinds} == {torch.bfloat16, torch.float32}


@pytest.mark.slow
def test_a_strategy_that_cannot_run_stops_train_py_in_one_line(widget_dataset: Path, tmp_path: Path) -> None:
    cases = {"fsdp": (["trainer=fsdp"], "runs on CUDA GPUs and this machine has none"),
             "deepspeed": (["trainer=deepspeed"], "needs the deepspeed package"),
             # FSDP over one device: NO_SHARD, whose export failed after training (seen on an H200)
             "fsdp_one": (["trainer=fsdp_cpu", "trainer.devices=1", "peft=lora_tiny",
                          "peft.train_vision=false"], "over one device shards nothing")}
    processes = {
        name: subprocess.Popen(
            [sys.executable, str(ROOT / "scripts" / "train.py"), "experiment=sft_tiny",
             *tiny_overrides(widget_dataset), "callbacks=none", *overrides, f"hydra.run.dir={tmp_path / name}"],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for name, (overrides, _) in cases.items()
    }
    for name, (_, expected) in cases.items():
        _, stderr = processes[name].communicate(timeout=600)
        assert processes[name].returncode == 2, stderr[-3000:]
        (line,) = [line for line in stderr.splitlines() if line.startswith("error:")]
        assert line.startswith("error: StrategyError: ") and expected in line and "Traceback" not in stderr

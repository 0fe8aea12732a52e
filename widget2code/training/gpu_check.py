"""The GPU check: the real model sizes, with random weights, through the training code; one JSON line each.

    python -m widget2code.training.gpu_check {glm,qwen_qlora,ddp,fsdp} [--size real|tiny] [--device cuda|cpu]

`scripts/gpu_check.sh` runs every check on the GPUs present (≤ 8 minutes on one large GPU); `--size tiny
--device cpu` runs the same code on tiny models, which is how the tests keep it working.

- `glm`: GLM-4.1V-9B in bfloat16 (its public config.json, random weights), LoRA r16 on q/k/v/o
  (conf/peft/lora_r16.yaml) with gradient checkpointing. Two lines:
  - `sft`: steps of `SFTModule` in a Lightning Trainer (bf16-mixed, clipping 1.0) on one 8,192-token
    sequence (sft_glm's max_length) holding an 896 × 672 screenshot: tokens/s, MFU, peak memory;
  - `grpo`: one GRPO step's compute: G 5 completions of 512 new tokens sampled from one prompt (the
    screenshot and instructions, 1,024 tokens), the two no-grad log-prob passes (old policy; reference,
    adapters disabled), then one forward and backward over the completions and an optimizer step, with
    the time split. The loss is a stand-in (advantage-weighted log-probs plus a KL term): rendering and
    rewards need Chromium, which the GPU machine lacks, and do not touch the GPU.
- `qwen_qlora`: the same for Qwen3-VL-8B (its shipped config.json) with the language model in NF4
  (bitsandbytes, as `nf4_config` loads it) and LoRA r64 on all seven projections (qlora_r64.yaml).
- `ddp`, `fsdp`: SFTModule on GLM-4.1V-9B with LoRA over every GPU present through the project's
  strategies (DDP; FSDP with root clipping, the gathered adapter export): tokens/s over all ranks,
  peak memory, whether the export holds the LoRA matrices.

MFU counts the model FLOPs of LoRA training on a frozen base: per token 2N forward and 2N backward
through the activations (no weight gradients but the adapters'), N the language model's parameters
without the embeddings, plus causal attention, 6 · layers · tokens · hidden (forward and backward);
the recomputation of gradient checkpointing is not counted. Peak: dense bf16 of the GPU's datasheet.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch
import yaml
from lightning import Callback, LightningModule, Trainer
from lightning.pytorch.strategies import DDPStrategy
from transformers import PretrainedConfig, PreTrainedModel

from widget2code.models.adapters import AdapterSettings, attach_adapters, reference_model
from widget2code.models.factory import _MODEL_CLASSES, LoadedModel, build_tiny_model, nf4_config
from widget2code.models.plan import real_config
from widget2code.models.tokenizer import train_tokenizer
from widget2code.task import SYSTEM_PROMPT, USER_PROMPT
from widget2code.training.export import AdapterExport
from widget2code.training.logprobs import completion_logprobs
from widget2code.training.optim import OptimizerSettings
from widget2code.training.sft import SFTModule
from widget2code.training.strategies import FSDP, LAYER_CLASSES

CONF = Path(__file__).resolve().parents[2] / "conf"
MODELS = {"glm4v": "glm41v_9b", "qwen3vl": "qwen3vl_8b"}  # conf/model entries
#: Dense bf16 peak FLOP/s by GPU name (datasheets, without sparsity).
PEAK = {"H200": 989e12, "H100": 989e12, "A100": 312e12, "L40S": 362e12, "A10G": 70e12}
#: Real sizes: sft_glm's max_length, an 896 × 672 screenshot, a GRPO prompt and its completions (G 5).
REAL = dict(tokens=8192, image=(672, 896), prompt=1024, group=5, new_tokens=512, steps=3, strategy_tokens=4096)
TINY = dict(tokens=256, image=(112, 112), prompt=64, group=3, new_tokens=8, steps=2, strategy_tokens=128)


class GPUCheckError(RuntimeError):
    """The check cannot run here (no CUDA where it was asked for, bitsandbytes missing)."""


def conf_entry(group: str, name: str) -> dict[str, Any]:
    """A conf/ entry as plain values (read without Hydra: the GPU machine may lack it)."""
    entry = yaml.safe_load((CONF / group / f"{name}.yaml").read_text())
    entry.pop("_target_")
    return entry


def peft_settings(name: str) -> AdapterSettings:
    return AdapterSettings(**conf_entry("peft", name))


def random_model(family: str, size: str, device: torch.device) -> LoadedModel:
    """The family's model with random weights, full size from its real config or the tiny preset, and a
    processor around a tokenizer trained on the prompts (the real ones are not on the machine; the
    check feeds token ids, and only the adapter export saves the processor)."""
    tokenizer = train_tokenizer([SYSTEM_PROMPT, USER_PROMPT], family, vocab_size=600)  # type: ignore[arg-type]
    tiny = build_tiny_model(family, tokenizer, preset="tiny")  # type: ignore[arg-type]
    if size == "tiny":
        return LoadedModel(tiny.model.to(device), tiny.processor)
    config = real_config(conf_entry("model", MODELS[family])["model_name_or_path"])
    with torch.device(device):
        return LoadedModel(_MODEL_CLASSES[family]._from_config(config, dtype=torch.bfloat16), tiny.processor)


def quantize_nf4(model: PreTrainedModel) -> None:
    """Turn the linear layers `nf4_config` quantises (all but the vision tower and lm_head) into
    bitsandbytes NF4 layers holding the same weights, as `from_pretrained` loads a checkpoint in 4 bits."""
    try:
        import bitsandbytes as bnb
    except ImportError as err:
        raise GPUCheckError("qwen_qlora needs bitsandbytes (carry its wheel to the GPU machine)") from err
    config = nf4_config()
    skipped = tuple(config.llm_int8_skip_modules)
    for parent_name, parent in list(model.named_modules()):
        for name, child in list(parent.named_children()):
            full = f"{parent_name}.{name}" if parent_name else name
            if not isinstance(child, torch.nn.Linear) or full.startswith(skipped):
                continue
            layer = bnb.nn.Linear4bit(child.in_features, child.out_features, bias=child.bias is not None,
                                      compute_dtype=config.bnb_4bit_compute_dtype, quant_type="nf4",
                                      compress_statistics=config.bnb_4bit_use_double_quant)
            layer.weight = bnb.nn.Params4bit(child.weight.data, requires_grad=False, quant_type="nf4",
                                             compress_statistics=config.bnb_4bit_use_double_quant)
            layer.bias = child.bias
            setattr(parent, name, layer.to(child.weight.device))  # quantises on the move
    model.is_loaded_in_4bit = True


def _start_token(config: PretrainedConfig, edge: str) -> int:
    return getattr(config, f"image_{edge}_token_id", None) or getattr(config, f"vision_{edge}_token_id")


def vision_tokens(config: PretrainedConfig) -> list[int]:
    """Image and video placeholder and boundary ids: never sampled (the log-prob pass would give a
    placeholder image features that do not exist)."""
    return sorted({value for key, value in config.to_dict().items()
                   if isinstance(value, int) and key.endswith("token_id") and key.split("_")[0] in
                   ("image", "video", "vision")})


def synthetic_inputs(config: PretrainedConfig, tokens: int, image: tuple[int, int], rows: int,
                     device: torch.device, labels_from: int | None = None) -> dict[str, torch.Tensor]:
    """`rows` sequences of `tokens` tokens: a few text tokens, one screenshot of `image` (height, width)
    pixels as the processor lays it out (patches, grid, placeholders), then random text; with
    `labels_from`, SFT labels on the positions from there (-100 before)."""
    vision = config.vision_config
    patch, merge, temporal = vision.patch_size, vision.spatial_merge_size, vision.temporal_patch_size
    grid_h, grid_w = (max(merge, round(side / (patch * merge)) * merge) for side in image)  # as smart_resize
    placeholders = grid_h * grid_w // merge**2
    if tokens < placeholders + 8:
        raise ValueError(f"{tokens} tokens cannot hold the image's {placeholders} placeholders")
    generator = torch.Generator().manual_seed(0)
    text = torch.ones(config.text_config.vocab_size, dtype=torch.bool)
    text[vision_tokens(config)] = False
    text_ids = text.nonzero().squeeze(1)
    ids = text_ids[torch.randint(len(text_ids), (rows, tokens), generator=generator)]
    ids[:, 4] = _start_token(config, "start")
    ids[:, 5:5 + placeholders] = config.image_token_id
    ids[:, 5 + placeholders] = _start_token(config, "end")
    types = torch.zeros_like(ids)
    types[:, 5:5 + placeholders] = 1
    batch = {
        "input_ids": ids, "attention_mask": torch.ones_like(ids), "mm_token_type_ids": types,
        "pixel_values": torch.randn(rows * grid_h * grid_w, 3 * temporal * patch * patch, generator=generator),
        "image_grid_thw": torch.tensor([[1, grid_h, grid_w]] * rows),
    }
    if labels_from is not None:
        batch["labels"] = ids.masked_fill(torch.arange(tokens) < labels_from, -100)
    return {key: value.to(device) for key, value in batch.items()}


def flops_per_token(model: torch.nn.Module, tokens: int) -> float:
    """Model FLOPs of LoRA training per token (see the module docstring)."""
    text = model.config.text_config
    language = sum(p.numel() for name, p in model.named_parameters()
                   if ".visual." not in f".{name}." and "embed_tokens" not in name and ".lora_" not in name)
    return 4 * language + 6 * text.num_hidden_layers * tokens * text.hidden_size


def peak_flops() -> float | None:
    if not torch.cuda.is_available():
        return None
    name = torch.cuda.get_device_name()
    return next((flops for key, flops in PEAK.items() if key in name), None)


def device_state(device: torch.device) -> dict[str, Any]:
    if device.type != "cuda":
        return {"device": "cpu"}
    return {"device": torch.cuda.get_device_name(), "peak_mem_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2)}


def synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


class StepTimer(Callback):
    """Wall time of each training step, the device synchronised at both ends."""

    def __init__(self) -> None:
        self.seconds: list[float] = []
        self._started = 0.0

    def on_train_batch_start(self, trainer: Trainer, pl_module: LightningModule, batch: Any, batch_idx: int) -> None:
        synchronize(pl_module.device)
        self._started = time.perf_counter()

    def on_train_batch_end(self, trainer: Trainer, pl_module: LightningModule, outputs: Any, batch: Any,
                           batch_idx: int) -> None:
        synchronize(pl_module.device)
        self.seconds.append(time.perf_counter() - self._started)

    def median(self) -> float:
        """The median step after the first (warm-up: allocation, kernel selection)."""
        timed = sorted(self.seconds[1:])
        return timed[len(timed) // 2]


def fit_sft(loaded: LoadedModel, batch: dict[str, torch.Tensor], steps: int, device: torch.device,
            strategy: Any = "auto", devices: int | str = 1, callbacks: tuple[Callback, ...] = ()) -> Trainer:
    """`steps` + 1 (warm-up) SFT steps through SFTModule on the same batch; the trainer, its StepTimer first."""
    module = SFTModule(loaded.model, loaded.processor, OptimizerSettings(lr=1e-4, warmup=0))
    cpu_batch = {key: value.cpu() for key, value in batch.items()}
    loader = torch.utils.data.DataLoader([cpu_batch] * (steps + 1) * 8, batch_size=None)
    trainer = Trainer(accelerator="gpu" if device.type == "cuda" else "cpu", devices=devices, strategy=strategy,
                      precision="bf16-mixed" if device.type == "cuda" else "32-true", max_steps=steps + 1,
                      gradient_clip_val=1.0, logger=False, enable_checkpointing=False, enable_progress_bar=False,
                      enable_model_summary=False, limit_val_batches=0, num_sanity_val_steps=0,
                      callbacks=[StepTimer(), *callbacks])
    trainer.fit(module, train_dataloaders=loader)
    return trainer


def sft_line(name: str, loaded: LoadedModel, work: dict[str, Any], device: torch.device) -> dict[str, Any]:
    tokens, policy = work["tokens"], loaded.model
    batch = synthetic_inputs(policy.config, tokens, work["image"], 1, device, labels_from=work["prompt"])
    trainer = fit_sft(loaded, batch, work["steps"], device)
    step_s = trainer.callbacks[0].median()
    rate = tokens / step_s
    peak = peak_flops()
    return {"check": name, "tokens": tokens, "step_s": round(step_s, 3), "tokens_per_s": round(rate, 1),
            "mfu": None if peak is None else round(rate * flops_per_token(policy, tokens) / peak, 4),
            "loss": round(float(trainer.callback_metrics["train/loss"]), 4), **device_state(device)}


def grpo_line(name: str, policy: torch.nn.Module, work: dict[str, Any], device: torch.device) -> dict[str, Any]:
    """One GRPO step's compute with its time split (see the module docstring)."""
    config, group, new = policy.config, work["group"], work["new_tokens"]
    prompts = synthetic_inputs(config, work["prompt"], work["image"], group, device)
    timings: dict[str, float] = {}

    @contextmanager
    def timed(key: str) -> Iterator[None]:
        synchronize(device)
        started = time.perf_counter()
        yield
        synchronize(device)
        timings[key] = round(time.perf_counter() - started, 3)

    policy.eval()
    with timed("generation_s"), torch.no_grad(), torch.autocast(device.type, torch.bfloat16, enabled=device.type == "cuda"):
        sequences = policy.generate(**prompts, max_new_tokens=new, min_new_tokens=new, do_sample=True, top_k=0,
                                    suppress_tokens=vision_tokens(config), pad_token_id=0)
    completions = sequences[:, prompts["input_ids"].shape[1]:]
    mask = torch.ones_like(completions)
    with timed("logprobs_s"), torch.no_grad(), torch.autocast(device.type, torch.bfloat16, enabled=device.type == "cuda"):
        old = completion_logprobs(policy, prompts, completions, mask, chunk_size=512)
        with reference_model(policy):
            reference = completion_logprobs(policy, prompts, completions, mask, chunk_size=512)
    policy.train()
    optimizer = torch.optim.AdamW([p for p in policy.parameters() if p.requires_grad], lr=1e-5)
    advantages = torch.linspace(-1.0, 1.0, group, device=device)[:, None]
    with timed("update_s"), torch.autocast(device.type, torch.bfloat16, enabled=device.type == "cuda"):
        logps = completion_logprobs(policy, prompts, completions, mask, chunk_size=512)
        kl = torch.exp(reference - logps) - (reference - logps) - 1  # k3, as GRPO's KL term
        loss = (-(advantages * torch.exp(logps - old)) + 0.05 * kl).mean()
        loss.backward()
        torch.nn.utils.clip_grad_norm_([p for p in policy.parameters() if p.requires_grad], 1.0)
        optimizer.step()
    total = sum(timings.values())
    return {"check": name, "group": group, "new_tokens": new, "prompt_tokens": work["prompt"], **timings,
            "step_s": round(total, 3), "generated_tokens_per_s": round(group * new / timings["generation_s"], 1),
            "loss_finite": bool(math.isfinite(float(loss.detach()))), **device_state(device)}


def model_check(family: str, peft: str, quantized: bool, size: str, device: torch.device) -> list[dict[str, Any]]:
    work = REAL if size == "real" else TINY
    loaded = random_model(family, size, device)
    if quantized:
        quantize_nf4(loaded.model)
    policy = attach_adapters(loaded.model, peft_settings(peft), reference=True)
    prefix = f"{family}_{peft}"
    # GRPO first: at the end of fit, Lightning's teardown moves the module to the CPU
    grpo = grpo_line(f"{prefix}_grpo", policy, work, device)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    return [sft_line(f"{prefix}_sft", loaded._replace(model=policy), work, device), grpo]


def strategy_check(kind: str, size: str, device: torch.device) -> list[dict[str, Any]]:
    """SFT under DDP or FSDP over every device present (two gloo processes on a CPU)."""
    work = REAL if size == "real" else TINY
    if kind == "fsdp" and device.type == "cuda" and torch.cuda.device_count() < 2:
        return [{"check": kind, "skipped": "FSDP needs 2 or more GPUs (over one it shards nothing: StrategyError)"}]
    accelerator = "gpu" if device.type == "cuda" else "cpu"
    backend = "nccl" if device.type == "cuda" else "gloo"
    strategy = (DDPStrategy(find_unused_parameters=False, process_group_backend=backend) if kind == "ddp" else
                FSDP(layer_classes=LAYER_CLASSES, adapter_method="lora", trainer_accelerator=accelerator,
                     sharding_strategy="FULL_SHARD", use_orig_params=True, state_dict_type="full",
                     process_group_backend=backend))
    devices: int | str = "auto" if device.type == "cuda" else 2
    # every rank builds its own model, on its own GPU (Lightning's launcher sets LOCAL_RANK for each)
    local = torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0))) if device.type == "cuda" else device
    loaded = random_model("glm4v", size, local)
    loaded = loaded._replace(model=attach_adapters(loaded.model, peft_settings("lora_r16")))
    tokens = work["strategy_tokens"]
    batch = synthetic_inputs(loaded.model.config, tokens, work["image"], 1, torch.device("cpu"),
                             labels_from=work["prompt"])
    with tempfile.TemporaryDirectory() as out:
        trainer = fit_sft(loaded, batch, work["steps"], device, strategy, devices, (AdapterExport(out),))
        exported = Path(out) / "adapter" / "adapter_model.safetensors"
        lora = 0
        if exported.is_file():
            from safetensors import safe_open

            with safe_open(str(exported), "pt") as saved:
                lora = sum(".lora_" in key for key in saved.keys())  # noqa: SIM118 (safe_open has no __iter__)
    step_s = trainer.callbacks[0].median()
    state = device_state(trainer.strategy.root_device)
    if trainer.is_global_zero:
        return [{"check": kind, "world_size": trainer.world_size, "tokens_per_s": round(
            tokens * trainer.world_size / step_s, 1), "step_s": round(step_s, 3), "exported_lora_tensors": lora,
            "loss": round(float(trainer.callback_metrics["train/loss"]), 4), **state}]
    return []


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("check", choices=["glm", "qwen_qlora", "ddp", "fsdp"])
    parser.add_argument("--size", choices=["real", "tiny"], default="real")
    parser.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    args = parser.parse_args(argv)
    if args.device == "cuda" and not torch.cuda.is_available():
        raise GPUCheckError("the GPU check needs a CUDA GPU and torch sees none here (--device cpu --size tiny "
                            "runs it on tiny models)")
    device = torch.device(args.device)
    if args.check == "glm":
        lines = model_check("glm4v", "lora_r16", False, args.size, device)
    elif args.check == "qwen_qlora":
        lines = model_check("qwen3vl", "qlora_r64", True, args.size, device)
    else:
        lines = strategy_check(args.check, args.size, device)
    for line in lines:
        print(json.dumps(line), flush=True)


if __name__ == "__main__":
    try:
        main(sys.argv[1:])
    except GPUCheckError as err:
        print(f"error: GPUCheckError: {err}", file=sys.stderr)
        sys.exit(3)

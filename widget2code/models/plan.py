"""What an experiment's real model costs, known before any weight is downloaded.

The architecture is built on the meta device (shapes, no storage: a 10B model in a fraction of a
second), from the public `config.json` of GLM-4.1V-9B or Qwen3-VL-8B shipped in `configs/` (the config
classes' defaults are not those models: Qwen3VLConfig's are another size, and Glm4vConfig's lack the
half-width rotary embedding its mrope sections are cut for, so a forward pass fails); any other model
from a local directory holding its config.json. The experiment's PEFT settings are applied
as `models.adapters` applies them (the same LoraConfig), parameters are counted, and every LoRA target
must match at least one module.

Bytes per GPU are estimates of the four large parts of training memory, for one micro-batch:
- weights: bf16 (2 bytes); QLoRA: the language model's linear layers in NF4 with double quantisation
  (~0.52 bytes a parameter), every other weight cast to float32 by `prepare_model_for_kbit_training`;
  LoRA matrices in float32 (PEFT keeps adapters in float32 beside a half-precision base);
- gradients: one per trainable parameter, in its dtype; optimizer: AdamW's two states, same dtype;
- activations of the language model (the vision tower's are small beside them and left out), bf16:
  with gradient checkpointing each decoder layer keeps its input (h values a token) and one layer is
  recomputed at a time; without, every layer keeps about 8h + 3h_kv + 4I values a token (norms, q/k/v
  after RoPE, attention output, the SwiGLU MLP's four I-wide tensors, with sdpa/flash attention); plus
  the logits, ~10 bytes per token and vocabulary entry (bf16 logits, their float32 copy for the loss
  and its gradient), over all tokens or, with chunked log-probs (GRPO), over one chunk.
Strategies over N GPUs: one GPU and DDP hold everything; FSDP (FULL_SHARD) divides weights, gradients
and optimizer state by N and gathers one decoder layer at a time (counted twice: prefetch); ZeRO-2
divides gradients and optimizer state. FSDP cannot take QLoRA (see `training.strategies`).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

import torch
from peft import get_peft_model
from peft.tuners.tuners_utils import BaseTunerLayer
from transformers import AutoConfig, Glm4vConfig, PretrainedConfig, PreTrainedModel, Qwen3VLConfig

from widget2code.models.adapters import VISION_MODULE, AdapterSettings, lora_config
from widget2code.models.factory import _MODEL_CLASSES, MODEL_TYPES

#: Hub ids the plan knows without a download: their public config.json files ship with the package.
KNOWN = {"zai-org/GLM-4.1V-9B-Thinking": (Glm4vConfig, "glm41v_9b.json"),
         "Qwen/Qwen3-VL-8B-Instruct": (Qwen3VLConfig, "qwen3vl_8b.json")}
NF4_BYTES = 0.5 + 1 / 64 + 4 / (64 * 256)  # 4 bits + an 8-bit absmax per 64 + a float32 per 256 absmaxes
LOGIT_BYTES = 10
STRATEGIES = ("1 GPU", "DDP", "FSDP", "ZeRO-2")


class PlanError(ValueError):
    """The plan cannot be made: an unknown model, or a LoRA target that matches nothing."""


def real_config(model_name_or_path: str) -> PretrainedConfig:
    """The full-size config of a known hub id, or of a local directory holding config.json."""
    if model_name_or_path in KNOWN:
        config_class, shipped = KNOWN[model_name_or_path]
        return config_class(**json.loads(files("widget2code.models").joinpath("configs", shipped).read_text()))
    if (Path(model_name_or_path).expanduser() / "config.json").is_file():
        return AutoConfig.from_pretrained(os.path.expanduser(model_name_or_path), local_files_only=True)
    raise PlanError(f"no config for {model_name_or_path!r}: the plan knows {', '.join(KNOWN)}, or a local "
                    "directory holding a config.json")


def meta_model(config: PretrainedConfig) -> PreTrainedModel:
    """The architecture with every tensor on the meta device: shapes without storage."""
    family = MODEL_TYPES.get(config.model_type)
    if family is None:
        raise PlanError(f"a {config.model_type!r} model: the plan builds {', '.join(MODEL_TYPES)}")
    with torch.device("meta"):
        return _MODEL_CLASSES[family]._from_config(config, dtype=torch.bfloat16)


def apply_adapters(model: PreTrainedModel, settings: AdapterSettings) -> tuple[torch.nn.Module, dict[str, int]]:
    """The model to train as `settings` say, and how many modules each LoRA target matched."""
    if settings.method == "none":
        for name, parameter in model.named_parameters():
            parameter.requires_grad_(settings.vision_trains or f".{VISION_MODULE}." not in f".{name}")
        return model, {}
    try:
        with torch.device("meta"):
            adapted = get_peft_model(model, lora_config(settings))
    except ValueError as err:  # PEFT: no target matched at all
        raise PlanError(f"peft target_modules {settings.target_modules} match nothing in "
                        f"{model.config.model_type}: {err}") from err
    layers = [name for name, module in adapted.named_modules() if isinstance(module, BaseTunerLayer)]
    matched = {target: sum(name.endswith(f".{target}") for name in layers) for target in settings.target_modules}
    missing = [target for target, count in matched.items() if not count]
    if missing:
        raise PlanError(f"peft target(s) {missing} match no module of {model.config.model_type} (the vision "
                        f"tower is never a target); its language model's adapted layers end in "
                        f"{sorted({name.rsplit('.', 1)[-1] for name in layers})}")
    return adapted, matched


@dataclass
class Workload:
    """One micro-batch of the language model: `rows` sequences of `tokens`; logits over `logit_tokens`
    positions at a time (all of them, or GRPO's log-prob chunk)."""

    rows: int
    tokens: int
    logit_tokens: int
    gradient_checkpointing: bool


@dataclass
class Memory:
    weights: float
    gradients: float
    optimizer: float
    activations: float
    total: float = field(init=False)

    def __post_init__(self) -> None:
        self.total = self.weights + self.gradients + self.optimizer + self.activations


def _quantized(name: str, module: torch.nn.Module) -> bool:
    """What bitsandbytes turns into 4-bit layers: the language model's linear layers (`nf4_config` skips
    the vision tower and lm_head), never the LoRA matrices."""
    return (isinstance(module, torch.nn.Linear) and f".{VISION_MODULE}." not in f".{name}."
            and not name.endswith("lm_head") and ".lora_" not in name)


def parameter_bytes(model: torch.nn.Module, quantized: bool) -> tuple[float, float, int]:
    """(bytes of every weight, bytes of the trainable ones, the largest decoder layer's bytes) as
    training holds them (see the module docstring)."""
    in_4bit = {id(module.weight) for name, module in model.named_modules() if quantized and _quantized(name, module)}
    total = trainable = 0.0
    for name, parameter in model.named_parameters():
        if id(parameter) in in_4bit:
            size = NF4_BYTES
        elif quantized or ".lora_" in name:
            size = 4.0  # LoRA matrices in float32; QLoRA casts every other weight to float32
        else:
            size = float(parameter.element_size())
        total += parameter.numel() * size
        trainable += parameter.numel() * size if parameter.requires_grad else 0.0
    layers = [module for module in model.modules() if type(module).__name__.endswith("TextDecoderLayer")]
    largest = max((sum(p.numel() for p in layer.parameters()) for layer in layers), default=0)
    return total, trainable, int(largest * (NF4_BYTES if quantized else 2))


def activation_bytes(text: Any, work: Workload) -> float:
    """The language model's activations for one micro-batch (see the module docstring), bf16."""
    h, layers, vocab = text.hidden_size, text.num_hidden_layers, text.vocab_size
    head_dim = getattr(text, "head_dim", None) or h // text.num_attention_heads
    h_kv = text.num_key_value_heads * head_dim
    per_layer = 8 * h + 3 * h_kv + 4 * text.intermediate_size  # values a token keeps for backward
    tokens = work.rows * work.tokens
    kept = layers * h + per_layer if work.gradient_checkpointing else layers * per_layer
    return tokens * kept * 2 + work.rows * work.logit_tokens * vocab * LOGIT_BYTES


def memory_per_gpu(model: torch.nn.Module, work: Workload, quantized: bool, gpus: int,
                   method: str) -> dict[str, Memory | None]:
    """Bytes per GPU under each strategy of STRATEGIES over `gpus` GPUs; None where it cannot run."""
    weights, trainable, layer = parameter_bytes(model, quantized)
    optimizer = 2 * trainable
    activations = activation_bytes(model.config.text_config, work)
    whole = Memory(weights, trainable, optimizer, activations)
    return {
        "1 GPU": whole,
        "DDP": whole,
        "FSDP": None if method == "qlora" else Memory(weights / gpus + 2 * layer, trainable / gpus,
                                                      optimizer / gpus, activations),
        "ZeRO-2": Memory(weights, trainable / gpus, optimizer / gpus, activations),
    }


@dataclass
class Plan:
    model: str
    model_type: str
    total_params: int
    trainable_params: int
    matched: dict[str, int]
    gpus: int
    workload: Workload
    memory: dict[str, Memory | None]

    @property
    def trainable_share(self) -> float:
        return self.trainable_params / self.total_params

    def as_json(self) -> dict[str, Any]:
        return {"model": self.model, "model_type": self.model_type, "total_params": self.total_params,
                "trainable_params": self.trainable_params, "trainable_share": round(self.trainable_share, 5),
                "lora_targets": self.matched, "gpus": self.gpus, "workload": asdict(self.workload),
                "bytes_per_gpu": {name: None if memory is None else {key: round(value) for key, value in
                                                                     asdict(memory).items()}
                                  for name, memory in self.memory.items()}}


def plan(model_name_or_path: str, settings: AdapterSettings, quantization: str | None, work: Workload,
         gpus: int) -> Plan:
    """Build, adapt, count and size (see the module docstring)."""
    base = meta_model(real_config(model_name_or_path))
    model, matched = apply_adapters(base, settings)
    parameters = list(model.parameters())
    return Plan(
        model=model_name_or_path, model_type=base.config.model_type,
        total_params=sum(p.numel() for p in parameters),
        trainable_params=sum(p.numel() for p in parameters if p.requires_grad),
        matched=matched, gpus=gpus, workload=work,
        memory=memory_per_gpu(model, work, quantization == "nf4", gpus, settings.method))

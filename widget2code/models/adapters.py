"""What trains on top of a loaded model: nothing extra (full fine-tune), LoRA or QLoRA, through PEFT.

A separate layer over `factory.LoadedModel`: `attach_adapters(model, settings)` returns the model to
optimise, `reference_model(model)` gives the frozen reference policy for GRPO's KL term, and
`save_adapter` / `load_for_inference` write and reload what was trained (Hugging Face format, with the
processor) for inference and for GRPO to start from.

Decisions:

- Methods. `none` trains every parameter (a full fine-tune: the tiny models are trained from scratch,
  so their random vision tower must learn too). `lora` trains only LoRA matrices on `target_modules`;
  `qlora` is the same on a model loaded in 4-bit NF4 (`load_pretrained(quantization="nf4")`), after
  `prepare_model_for_kbit_training`. LoRA never touches the vision tower (`model.visual`; its
  layers are named `qkv`/`proj`, and in GLM-4V its MLP uses `gate_proj`/`up_proj`/`down_proj` like
  the language model's, so MLP targets would reach it without the exclusion).
- The vision tower. `train_vision` decides whether it trains; the default (None) is the method's:
  yes for `none`, no for LoRA/QLoRA. Under LoRA it trains as a PEFT `modules_to_save` copy: the copy
  trains and is saved with the adapter, the original stays as it was, so the reference policy (the
  starting adapter, or the base with adapters disabled) keeps the frozen tower. The cost is a second
  copy of the vision tower (about 0.6B parameters for GLM-4.1V), not of the language model.
- The reference policy holds one base. With `adapter_path` the starting adapter is loaded twice
  beside the one base: "default" trains, "reference" stays frozen; without it the reference is the
  base with adapters disabled. Only a full fine-tune (`none`) keeps a copy: the starting parameters,
  swapped in for reference passes. Fine for the tiny CPU models; use LoRA on real ones.
- 4-bit layers on a CPU keep bitsandbytes' training layout. On a CPU with AVX512-BF16, bitsandbytes
  (0.50) repacks a `Linear4bit`'s weight in place for a faster bf16 kernel the first time it runs in eval
  mode without gradients. That kernel has no backward: a training step after any eval pass (validation,
  a GRPO rollout) loses the gradient through every frozen 4-bit layer (LoRA gradients measured 20-45 %
  off). And saving unpacks the weight again, lossily (the block scales go through bf16 and are
  re-quantized), so the live model's outputs changed by up to 2.5e-3 in logits at each save while the
  exported adapter was right. Both QLoRA training and 4-bit inference run with the repack off, so an
  adapter reloads to the outputs it trained with, on every CPU (`_keep_4bit_training_layout`).
- The format tags `<think>`, `</think>`, `<code>`, `</code>` stay plain text for real checkpoints: no
  added tokens, no embedding resize, so LoRA never has to train embeddings or `lm_head`. Both real
  tokenizers already hold `<think>`/`</think>` as single tokens (GLM-4.1V-Thinking and the Qwen3
  vocabulary of Qwen3-VL); `<code>`/`</code>` are a few ordinary BPE pieces. The label mask is by
  position (prompt length), not by token id, so it stays exact however the tags split. The tiny
  tokenizer (`models.tokenizer`) has the four tags as added tokens because it is trained from scratch
  and its embeddings train anyway.
"""

from __future__ import annotations

import os
import re
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import torch
from peft import LoraConfig, PeftModel, get_peft_model, prepare_model_for_kbit_training
from transformers import AutoProcessor, PreTrainedModel, ProcessorMixin

from widget2code.files import atomic_directory
from widget2code.models.factory import LoadedModel, check_adapter_path, load_pretrained

Method = Literal["none", "lora", "qlora"]
METHODS: tuple[str, ...] = ("none", "lora", "qlora")
BIASES: tuple[str, ...] = ("none", "all", "lora_only")

#: The adapter that trains, and the frozen starting adapter loaded beside it for GRPO's reference.
TRAINABLE = "default"
REFERENCE = "reference"

#: Module names of the vision tower (both families keep it at `model.visual`).
VISION_MODULE = "visual"
_VISION = re.compile(rf"(^|.*\.){VISION_MODULE}(\..*)?")
#: Non-reentrant checkpointing: gradients reach LoRA layers even though the frozen embeddings' outputs
#: do not require grad (the reentrant kind would need `enable_input_require_grads`).
_GRADIENT_CHECKPOINTING = {"use_reentrant": False}


class AdapterError(ValueError):
    """Bad adapter settings, an adapter that does not fit the model, or a reference that was not attached."""


@dataclass
class AdapterSettings:
    """What trains (built from conf/peft/*.yaml by Hydra).

    `target_modules` are matched by name suffix; the defaults are the language model's attention
    projections (the vision tower is never a LoRA target). `train_vision=None` means the method's
    default: the vision tower trains in a full fine-tune (`none`) and stays frozen under LoRA/QLoRA.
    `bias` is PEFT's: "none", "all" or "lora_only".
    """

    method: Method = "lora"
    r: int = 16
    alpha: int = 32
    dropout: float = 0.05
    target_modules: list[str] = field(default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj"])
    train_vision: bool | None = None
    gradient_checkpointing: bool = False
    bias: str = "none"

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise AdapterError(
                f"peft method {self.method!r} is unknown; expected one of {', '.join(METHODS)}"
            )
        if not isinstance(self.r, int) or self.r < 1:
            raise AdapterError(f"peft r (LoRA rank) must be a positive integer, got {self.r!r}")
        if not isinstance(self.alpha, int | float) or self.alpha <= 0:
            raise AdapterError(f"peft alpha must be positive, got {self.alpha!r}")
        if not 0 <= self.dropout < 1:
            raise AdapterError(f"peft dropout must be in [0, 1), got {self.dropout!r}")
        if isinstance(self.target_modules, str) or not self.target_modules:
            raise AdapterError(
                f"peft target_modules must be a non-empty list of module names, got {self.target_modules!r}"
            )
        self.target_modules = [str(name) for name in self.target_modules]  # Hydra hands a ListConfig
        if self.bias not in BIASES:
            raise AdapterError(f"peft bias {self.bias!r} is unknown; expected one of {', '.join(BIASES)}")

    @property
    def vision_trains(self) -> bool:
        return self.method == "none" if self.train_vision is None else bool(self.train_vision)


# What reference_model(model) gives, per model that attach_adapters(reference=True) returned: the name
# of a frozen adapter, None for "the base with adapters disabled", or (full fine-tune) a frozen copy of
# the starting parameters by name.
_REFERENCES: weakref.WeakKeyDictionary[torch.nn.Module, str | dict[str, torch.Tensor] | None] = (
    weakref.WeakKeyDictionary()
)


def _is_4bit(model: torch.nn.Module) -> bool:
    return bool(getattr(model, "is_loaded_in_4bit", False))


def _vision_parameter(name: str) -> bool:
    return _VISION.fullmatch(name) is not None


def lora_config(settings: AdapterSettings) -> LoraConfig:
    """PEFT's config for `settings` (LoRA and QLoRA alike): the vision tower is never a target."""
    return LoraConfig(
        r=settings.r,
        lora_alpha=settings.alpha,
        lora_dropout=settings.dropout,
        target_modules=settings.target_modules,
        exclude_modules=_VISION.pattern,
        modules_to_save=[VISION_MODULE] if settings.vision_trains else None,
        bias=settings.bias,
        task_type="CAUSAL_LM",
    )


def _check_saved_adapter(adapter_path: str | os.PathLike[str], settings: AdapterSettings) -> LoraConfig:
    """The saved adapter's config, checked against the settings that will train it."""
    path = check_adapter_path(adapter_path)
    saved = LoraConfig.from_pretrained(path)
    wanted = lora_config(settings)
    differences = [
        f"{key}: saved {got!r}, configured {want!r}"
        for key, got, want in [
            ("r", saved.r, wanted.r),
            ("alpha", saved.lora_alpha, wanted.lora_alpha),
            ("target_modules", set(saved.target_modules or ()), set(wanted.target_modules)),
            ("train_vision", bool(saved.modules_to_save), bool(wanted.modules_to_save)),
        ]
        if got != want
    ]
    if differences:
        raise AdapterError(
            f"the adapter at {path!r} does not match the peft settings ({'; '.join(differences)}); "
            "choose the peft config it was trained with"
        )
    saved.lora_dropout = settings.dropout  # dropout is a training choice, not part of the weights
    return saved


def _keep_4bit_training_layout(model: torch.nn.Module) -> None:
    """Turn off bitsandbytes' in-place CPU repack of 4-bit weights (see the module's docstring)."""
    from bitsandbytes.nn import Linear4bit  # only 4-bit models get here; bitsandbytes is then loaded

    for module in model.modules():
        if isinstance(module, Linear4bit):
            module.support_avx512bf16_for_cpu = False


def _enable_gradient_checkpointing(model: PreTrainedModel) -> None:
    # transformers renamed it (the old name warns); releases before the rename only have the old one
    enable = getattr(model, "activation_checkpointing_enable", model.gradient_checkpointing_enable)
    enable(_GRADIENT_CHECKPOINTING)


def attach_adapters(
    model: PreTrainedModel,
    settings: AdapterSettings,
    adapter_path: str | os.PathLike[str] | None = None,
    reference: bool = False,
) -> PreTrainedModel | PeftModel:
    """Make `model` ready to train as `settings` say; returns the model to optimise.

    `adapter_path` starts LoRA/QLoRA from a saved adapter (its r, alpha, targets and vision training
    must match `settings`). `reference=True` also keeps the starting policy, frozen, for
    `reference_model`: the saved adapter loaded a second time, the base with adapters disabled, or
    (method `none` only) a frozen copy of the model.
    """
    if isinstance(model, PeftModel):
        raise AdapterError("the model already carries adapters; attach them to the bare loaded model")
    quantized = _is_4bit(model)
    if settings.method == "qlora" and not quantized:
        raise AdapterError(
            "peft method 'qlora' needs the model loaded in 4 bits: load_pretrained(..., quantization='nf4')"
        )
    if settings.method != "qlora" and quantized:
        raise AdapterError(
            f"the model is loaded in 4 bits, which only peft method 'qlora' can train "
            f"(got {settings.method!r})"
        )

    if settings.method == "none":
        if adapter_path is not None:
            raise AdapterError(
                "peft method 'none' trains the whole model and loads no adapter: load the saved model "
                f"directory as the model instead of adapter_path={str(adapter_path)!r}"
            )
        for name, parameter in model.named_parameters():
            parameter.requires_grad_(settings.vision_trains or not _vision_parameter(name))
        if settings.gradient_checkpointing:
            _enable_gradient_checkpointing(model)
        if reference:
            _REFERENCES[model] = {name: p.detach().clone() for name, p in model.named_parameters()}
        return model

    if settings.method == "qlora":
        _keep_4bit_training_layout(model)
        # checkpointing is ours to switch on: PEFT's would call transformers' deprecated alias
        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=False)
    if settings.gradient_checkpointing:
        _enable_gradient_checkpointing(model)

    if adapter_path is None:
        peft_model = get_peft_model(model, lora_config(settings), adapter_name=TRAINABLE)
        if reference:
            _REFERENCES[peft_model] = None
        return peft_model

    config = _check_saved_adapter(adapter_path, settings)
    peft_model = PeftModel.from_pretrained(
        model, str(adapter_path), adapter_name=TRAINABLE, is_trainable=True, config=config
    )
    if reference:
        peft_model.load_adapter(str(adapter_path), adapter_name=REFERENCE, is_trainable=False)
        peft_model.set_adapter(TRAINABLE)
        _REFERENCES[peft_model] = REFERENCE
    return peft_model


@contextmanager
def reference_model(model: torch.nn.Module) -> Iterator[torch.nn.Module]:
    """Inside, forward passes of `model` give the frozen reference policy (it is also yielded).

    LoRA/QLoRA: the reference adapter is made active, or adapters are disabled. Full fine-tune: the
    starting parameters are swapped in (their storage, not copied) and swapped back. The reference
    runs in eval mode (no dropout), so it is deterministic. On exit the trainable adapter, every
    `requires_grad` flag and every module's train/eval mode are exactly as before. Use it under
    `torch.no_grad()`.
    """
    if model not in _REFERENCES:
        raise AdapterError("this model has no reference policy: attach_adapters(..., reference=True)")
    kept = _REFERENCES[model]
    flags = [(parameter, parameter.requires_grad) for parameter in model.parameters()]
    modes = [(module, module.training) for module in model.modules()]
    model.eval()
    try:
        if isinstance(kept, dict):
            with _swapped_parameters(model, kept):
                yield model
        elif kept is None:
            with model.disable_adapter():
                yield model
        else:
            active = model.active_adapter
            model.set_adapter(kept, inference_mode=True)
            try:
                yield model
            finally:
                model.set_adapter(active)
    finally:
        for parameter, requires_grad in flags:
            parameter.requires_grad_(requires_grad)
        for module, training in modes:
            module.training = training


@contextmanager
def _swapped_parameters(model: torch.nn.Module, saved: dict[str, torch.Tensor]) -> Iterator[None]:
    live = dict(model.named_parameters())
    current = {name: parameter.data for name, parameter in live.items()}
    for name, parameter in live.items():
        if saved[name].device != parameter.device:  # follow the policy when the trainer moved it
            saved[name] = saved[name].to(parameter.device)
        parameter.data = saved[name]
    try:
        yield
    finally:
        for name, parameter in live.items():
            parameter.data = current[name]


def save_adapter(
    model: torch.nn.Module, processor: ProcessorMixin, directory: str | os.PathLike[str],
    state_dict: dict[str, torch.Tensor] | None = None,
) -> Path:
    """Write what trained, in Hugging Face format, with the processor, atomically; returns the directory.

    LoRA/QLoRA: only the trainable adapter (`adapter_config.json`, `adapter_model.safetensors`, and the
    vision tower when it trained), never the frozen reference. Method `none`: the whole model, which
    `factory.load_pretrained(directory)` loads. An existing directory is replaced. `state_dict`: the
    model's tensors when they live elsewhere (gathered from FSDP shards); None reads the model.
    """
    with atomic_directory(directory, replace=True) as tmp:
        if isinstance(model, PeftModel):
            model.save_pretrained(str(tmp), selected_adapters=[TRAINABLE], state_dict=state_dict)
        else:
            model.save_pretrained(str(tmp), state_dict=state_dict)
        processor.save_pretrained(str(tmp))
    return Path(directory)


def load_for_inference(
    model: LoadedModel | str | os.PathLike[str],
    adapter_path: str | os.PathLike[str] | None = None,
    merge: bool = False,
    **load_kwargs: Any,
) -> LoadedModel:
    """A model ready to generate: a loaded model or a saved one (`load_pretrained(**load_kwargs)`),
    with a saved adapter applied (`adapter_path`, else the `LoadedModel`'s own).

    The processor saved beside the adapter is used when there is one (it is the one it trained with).
    `merge=True` folds LoRA into the base weights (faster generation; not for a 4-bit base, where it
    rounds). Returned in eval mode, with `adapter_path` None since the adapter is now applied.
    """
    if not isinstance(model, LoadedModel):
        path = Path(model).expanduser()
        if (path / "adapter_config.json").is_file() and not (path / "config.json").is_file():
            raise AdapterError(
                f"{str(model)!r} is an adapter, not a model: pass the base model and "
                f"adapter_path={str(model)!r}"
            )
        model = load_pretrained(str(model), **load_kwargs)
    network, processor = model.model, model.processor
    if _is_4bit(network):
        _keep_4bit_training_layout(network)
    adapter = check_adapter_path(adapter_path if adapter_path is not None else model.adapter_path)
    if adapter is not None:
        network = PeftModel.from_pretrained(network, adapter, is_trainable=False)
        if merge:
            network = network.merge_and_unload()
        if (Path(adapter) / "tokenizer_config.json").is_file():
            processor = AutoProcessor.from_pretrained(adapter)
    return LoadedModel(network.eval(), processor)

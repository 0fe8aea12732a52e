"""Build the vision-language model and its processor: real checkpoints, or tiny random ones.

Two paths, one result (`LoadedModel(model, processor)`):

- `load_pretrained`: a hub id or a local directory through `from_pretrained`, optionally quantised
  to 4-bit NF4 for QLoRA. This is what runs on a GPU machine.
- `build_tiny_model`: the same architecture classes (`Glm4vForConditionalGeneration`,
  `Qwen3VLForConditionalGeneration`) built from a tiny config with random weights and a tokenizer
  trained locally, for tests and the CPU demo (`widget2code.data.tiny_model` trains that tokenizer on
  a dataset: the Hydra entry point of the tiny models).

Both return the bare model; adapters (LoRA/QLoRA) are applied on top by a separate layer that takes a
`LoadedModel`, so this module knows nothing about PEFT. Both families keep the vision tower under
`model.visual` and the language model's attention in `q_proj/k_proj/v_proj/o_proj`.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any, Literal, NamedTuple

import torch
from huggingface_hub.errors import HFValidationError
from transformers import (
    AutoConfig,
    AutoProcessor,
    BitsAndBytesConfig,
    Glm4vConfig,
    Glm4vForConditionalGeneration,
    Glm4vImageProcessor,
    Glm4vProcessor,
    Glm4vVideoProcessor,
    PreTrainedModel,
    PreTrainedTokenizerFast,
    ProcessorMixin,
    Qwen2VLImageProcessor,
    Qwen3VLConfig,
    Qwen3VLForConditionalGeneration,
    Qwen3VLProcessor,
    Qwen3VLVideoProcessor,
)

from widget2code.models.tokenizer import FAMILIES, Family, family_tokens

Preset = Literal["tiny", "small"]

#: config.model_type -> family name used throughout the project
MODEL_TYPES = {"glm4v": "glm4v", "qwen3_vl": "qwen3vl"}
_MODEL_CLASSES: dict[str, type[PreTrainedModel]] = {
    "glm4v": Glm4vForConditionalGeneration,
    "qwen3vl": Qwen3VLForConditionalGeneration,
}

#: Sizes per preset. "tiny" builds in well under a second (tests); "small" (~3M parameters) is the
#: size that learned widget syntax in minutes on this 2-core CPU. The vision tower stays small in
#: both, so the image path is cheap.
PRESETS: dict[str, dict[str, int]] = {
    "tiny": dict(hidden=64, layers=2, heads=4, kv_heads=2, intermediate=128,
                 vision_hidden=32, vision_layers=2, vision_heads=2, vision_intermediate=64),
    "small": dict(hidden=256, layers=4, heads=8, kv_heads=4, intermediate=512,
                  vision_hidden=64, vision_layers=2, vision_heads=4, vision_intermediate=128),
}  # fmt: skip

# Real vision patching: GLM-4.1V uses 14-px patches, Qwen3-VL 16-px; both merge 2x2 patches into one
# language token and use temporal patches of 2 frames (a still image is repeated).
_PATCH = {"glm4v": 14, "qwen3vl": 16}
_MERGE = 2
_TEMPORAL = 2


class ModelLoadError(ValueError):
    """A model or processor could not be loaded from the given id or path."""


class LoadedModel(NamedTuple):
    model: PreTrainedModel
    processor: ProcessorMixin
    #: An adapter (PEFT directory) to start from, checked to exist at load time; the adapters layer
    #: (`widget2code.models.adapters`) loads it. Lives here so a config says `model.adapter_path=...`.
    adapter_path: str | None = None


def check_adapter_path(adapter_path: str | os.PathLike[str] | None) -> str | None:
    """The adapter directory as a string, or a `ModelLoadError` saying what is missing."""
    if adapter_path is None:
        return None
    path = Path(adapter_path).expanduser()
    if not (path / "adapter_config.json").is_file():
        raise ModelLoadError(
            f"adapter_path {str(adapter_path)!r} is not a saved adapter (no adapter_config.json there); "
            "point it to the `adapter/` directory a training run saved, or set it to null to start cold"
        )
    return str(path)


def model_family(model: PreTrainedModel) -> Family:
    """The project's family name for a loaded model (from its config's model_type)."""
    model_type = model.config.model_type
    if model_type not in MODEL_TYPES:
        raise ModelLoadError(f"unsupported model type {model_type!r}; supported: {', '.join(MODEL_TYPES)}")
    return MODEL_TYPES[model_type]  # type: ignore[return-value]


# --------------------------------------------------------------------------------------------------
# Tiny random models


def _mrope_section(family: str, rotary_half: int) -> list[int]:
    """Split the rotary frequencies over (time, height, width) in the real models' proportions.

    The sections must sum to the rotary dimension / 2: GLM-4.1V uses [8, 12, 12] of 32, Qwen3-VL
    [24, 20, 20] of 64.
    """
    spatial = (3 * rotary_half) // 8 if family == "glm4v" else (5 * rotary_half) // 16
    return [rotary_half - 2 * spatial, spatial, spatial]


def _tiny_config(family: str, tokenizer: PreTrainedTokenizerFast, preset: str, image_size: int) -> Any:
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; expected one of {', '.join(PRESETS)}")
    size = PRESETS[preset]
    head_dim = size["hidden"] // size["heads"]
    ids = tokenizer.convert_tokens_to_ids
    text = dict(
        vocab_size=len(tokenizer),
        hidden_size=size["hidden"],
        intermediate_size=size["intermediate"],
        num_hidden_layers=size["layers"],
        num_attention_heads=size["heads"],
        num_key_value_heads=size["kv_heads"],
        max_position_embeddings=4096,
        pad_token_id=tokenizer.pad_token_id,
    )
    vision = dict(
        depth=size["vision_layers"],
        hidden_size=size["vision_hidden"],
        intermediate_size=size["vision_intermediate"],
        num_heads=size["vision_heads"],
        patch_size=_PATCH[family],
        spatial_merge_size=_MERGE,
        temporal_patch_size=_TEMPORAL,
        out_hidden_size=size["hidden"],
    )
    if family == "glm4v":
        # GLM rotates half of each head (partial_rotary_factor 0.5).
        text["rope_parameters"] = {
            "rope_type": "default",
            "rope_theta": 1e4,
            "partial_rotary_factor": 0.5,
            "mrope_section": _mrope_section(family, head_dim // 4),
        }
        vision["image_size"] = image_size
        return Glm4vConfig(
            text_config=text,
            vision_config=vision,
            image_token_id=ids("<|image|>"),
            video_token_id=ids("<|video|>"),
            image_start_token_id=ids("<|begin_of_image|>"),
            image_end_token_id=ids("<|end_of_image|>"),
            video_start_token_id=ids("<|begin_of_video|>"),
            video_end_token_id=ids("<|end_of_video|>"),
        )
    text["head_dim"] = head_dim
    text["rope_parameters"] = {
        "rope_type": "default",
        "rope_theta": 1e4,
        "mrope_section": _mrope_section(family, head_dim // 2),
        "mrope_interleaved": True,
    }
    grid = max(1, round(image_size / _PATCH[family]))
    vision["num_position_embeddings"] = grid * grid  # learned positions, interpolated to other grids
    vision["deepstack_visual_indexes"] = [size["vision_layers"] - 1]
    return Qwen3VLConfig(
        text_config=text,
        vision_config=vision,
        image_token_id=ids("<|image_pad|>"),
        video_token_id=ids("<|video_pad|>"),
        vision_start_token_id=ids("<|vision_start|>"),
        vision_end_token_id=ids("<|vision_end|>"),
    )


def build_tiny_processor(
    family: Family, tokenizer: PreTrainedTokenizerFast, image_size: int = 112
) -> ProcessorMixin:
    """The family's real processor class around a local tokenizer, with a small pixel budget.

    Images are resized (keeping aspect) to at most about `image_size`² pixels, in multiples of
    patch × merge; a 112-px square gives 16 image tokens for GLM-4V (112 = 4 × 28) and, rounded up to
    128 = 4 × 32, 16 for Qwen3-VL.
    """
    family_tokens(family)  # validates the name
    factor = _PATCH[family] * _MERGE
    side = max(1, round(image_size / factor)) * factor
    if family == "glm4v":
        # GLM's resize counts the two temporal copies of a still image in its pixel budget.
        size = {"shortest_edge": _TEMPORAL * factor * factor, "longest_edge": _TEMPORAL * side * side}
        image_processor = Glm4vImageProcessor(size=size)
        video_processor = Glm4vVideoProcessor(size=size)
        processor_class: type[ProcessorMixin] = Glm4vProcessor
    else:
        size = {"shortest_edge": factor * factor, "longest_edge": side * side}
        image_processor = Qwen2VLImageProcessor(patch_size=_PATCH[family], size=size)
        video_processor = Qwen3VLVideoProcessor(size=size)
        processor_class = Qwen3VLProcessor
    return processor_class(
        image_processor=image_processor,
        tokenizer=tokenizer,
        video_processor=video_processor,
        chat_template=tokenizer.chat_template,
    )


def _init_vision_merger(model: PreTrainedModel) -> None:
    """Draw the merger's (vision → language bridge) linear weights at std 1/sqrt(fan_in).

    Real checkpoints come with a trained merger. A random one at the config's std (0.02) passes almost
    nothing of the image on: GLM-4V's SwiGLU multiplies two near-zero projections, so its output is
    ~1e-3 and nearly the same for every image (a linear probe on it tells four widget categories apart
    no better than chance, against 95 % on its input), and its gradient is as small. Measured on the
    demo data: fan-in scaling lifts that probe to 98 %, and the tiny model can then learn to see.
    """
    for module in model.model.visual.merger.modules():
        if isinstance(module, torch.nn.Linear):
            torch.nn.init.normal_(module.weight, mean=0.0, std=module.in_features ** -0.5)


def build_tiny_model(
    family: Family,
    tokenizer: PreTrainedTokenizerFast,
    preset: Preset = "tiny",
    image_size: int = 112,
    seed: int = 0,
) -> LoadedModel:
    """A randomly initialised model of the family's real architecture, sized by `preset`.

    Initialisation draws from a forked RNG seeded with `seed`: the same arguments give the same
    weights, and the caller's global RNG state is left untouched.
    """
    if family not in FAMILIES:
        raise ValueError(f"unknown model family {family!r}; expected one of {', '.join(FAMILIES)}")
    if not isinstance(image_size, int) or image_size < 1:
        raise ValueError(f"image_size must be a positive number of pixels, got {image_size!r}")
    config = _tiny_config(family, tokenizer, preset, image_size)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = _MODEL_CLASSES[family](config)
        _init_vision_merger(model)
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    return LoadedModel(model, build_tiny_processor(family, tokenizer, image_size))


# --------------------------------------------------------------------------------------------------
# Real checkpoints


def nf4_config() -> BitsAndBytesConfig:
    """4-bit NF4 quantisation for QLoRA, compute in bfloat16.

    The vision tower and the LM head stay unquantised: they are small, and bitsandbytes' CPU repack
    fails on frozen 4-bit layers narrower than 64 inputs. The full prefix `model.visual` is needed;
    plain `visual` matches nothing.
    """
    return BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type="nf4",
        bnb_4bit_compute_dtype=torch.bfloat16,
        bnb_4bit_use_double_quant=True,
        llm_int8_skip_modules=["model.visual", "lm_head"],
    )


def _looks_local(name: str) -> bool:
    """A filesystem path rather than a hub id ("org/name" has a slash too, but never starts with one)."""
    return name.startswith(("/", "./", "../", "~")) or os.path.exists(name)


def _load_error(name: str, what: str, err: Exception) -> ModelLoadError:
    if _looks_local(name):
        hint = (
            f"check that {name} is a directory holding a saved model (config.json, weights, processor files)"
        )
    else:
        hint = (
            f"download it on a connected machine with `huggingface-cli download {name}` (then copy the "
            "Hugging Face cache), or set model_name_or_path to a local directory holding the model"
        )
    reason = str(err).strip().rstrip(".")
    return ModelLoadError(f"could not load the {what} of {name!r}: {reason}. Fix: {hint}.")


def load_pretrained(
    model_name_or_path: str,
    family: Family | None = None,
    dtype: str = "bfloat16",
    attn_implementation: str | None = None,
    quantization: Literal["nf4"] | None = None,
    device_map: str | dict[str, Any] | None = None,
    trust_remote_code: bool = False,
    local_files_only: bool = False,
    processor_kwargs: dict[str, Any] | None = None,
    adapter_path: str | os.PathLike[str] | None = None,
) -> LoadedModel:
    """Load a real checkpoint and its processor (GLM-4.1V or Qwen3-VL) with `from_pretrained`.

    `family`, when given, is checked against the checkpoint's config. `dtype` is a torch dtype name
    or "auto". `quantization="nf4"` loads the language model in 4 bits for QLoRA (needs
    `bitsandbytes`). `local_files_only=True` fails at once instead of retrying an unreachable hub.
    `processor_kwargs` go to `AutoProcessor.from_pretrained` (for example a pixel budget).
    Missing or unreadable weights raise `ModelLoadError` saying how to get them. `adapter_path` is
    checked and passed on (see `LoadedModel`).
    """
    adapter = check_adapter_path(adapter_path)
    name = str(model_name_or_path)
    if _looks_local(name) and not Path(name).expanduser().is_dir():
        raise _load_error(name, "config", FileNotFoundError(f"no directory {name}"))
    if quantization not in (None, "nf4"):
        raise ValueError(f"unknown quantization {quantization!r}; expected None or 'nf4'")
    if quantization == "nf4" and importlib.util.find_spec("bitsandbytes") is None:
        raise ModelLoadError(
            "quantization='nf4' needs bitsandbytes: `pip install bitsandbytes` (on a CUDA machine)"
        )
    if dtype != "auto" and not isinstance(getattr(torch, dtype, None), torch.dtype):
        raise ValueError(
            f"unknown dtype {dtype!r}; expected a torch dtype name such as 'bfloat16', or 'auto'"
        )

    path = str(Path(name).expanduser()) if _looks_local(name) else name
    common = dict(trust_remote_code=trust_remote_code, local_files_only=local_files_only)
    try:
        config = AutoConfig.from_pretrained(path, **common)
    except (OSError, ValueError, HFValidationError) as err:
        raise _load_error(name, "config", err) from err
    found = MODEL_TYPES.get(config.model_type)
    if found is None:
        raise ModelLoadError(
            f"{name!r} is a {config.model_type!r} model; supported: {', '.join(MODEL_TYPES)}"
        )
    if family is not None and family != found:
        raise ModelLoadError(f"{name!r} is a {found} model, but family={family!r} was asked for")

    try:
        processor = AutoProcessor.from_pretrained(path, **common, **(processor_kwargs or {}))
    except (OSError, ValueError, HFValidationError) as err:
        raise _load_error(name, "processor", err) from err
    try:
        model = _MODEL_CLASSES[found].from_pretrained(
            path,
            config=config,
            dtype=dtype if dtype == "auto" else getattr(torch, dtype),
            attn_implementation=attn_implementation,
            quantization_config=nf4_config() if quantization == "nf4" else None,
            device_map=device_map,
            **common,
        )
    except (OSError, HFValidationError) as err:
        raise _load_error(name, "weights", err) from err
    return LoadedModel(model, processor, adapter)

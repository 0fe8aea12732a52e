"""The generation seam: prompts in, completions out, with what GRPO needs to score them again.

Everything that generates goes through `generate_rollout`: GRPO rollouts, best-of-N, polish and the
CLI. It runs Hugging Face `model.generate`; this is the one place where a faster backend (vLLM on
GPUs) would plug in, returning the same `Rollout`.

Alignment for log-prob passes: `sequences` = left-padded prompt (P columns) + completion (T columns).
The logits at column P - 1 + t predict `completion_ids[:, t]`; `completion_mask` is 1 up to and
including the first end token and 0 after it (the padding `generate` writes once a row has ended),
so a loss summed over the mask counts every sampled token and nothing else. `rollout_inputs` gives
the model's full keyword arguments for that forward pass (images repeated per row).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from PIL import Image
from transformers import PreTrainedModel, ProcessorMixin

from widget2code.data.datamodule import fit_image
from widget2code.models.chat import build_prompt

Inputs = dict[str, torch.Tensor]
#: Per-token keys of prompt inputs; the others (pixel_values, image_grid_thw) are per image.
PER_TOKEN = ("input_ids", "attention_mask", "mm_token_type_ids")


@dataclass
class SamplingConfig:
    """How completions are drawn. `num_return_sequences` samples per prompt (the GRPO group size)."""

    max_new_tokens: int = 512
    temperature: float = 1.0
    top_p: float = 1.0
    do_sample: bool = True
    num_return_sequences: int = 1

    def __post_init__(self) -> None:
        if self.max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be at least 1, got {self.max_new_tokens}")
        if self.num_return_sequences < 1:
            raise ValueError(f"num_return_sequences must be at least 1, got {self.num_return_sequences}")
        if self.do_sample and not (self.temperature > 0 and 0 < self.top_p <= 1):
            raise ValueError(
                f"sampling needs temperature > 0 and top_p in (0, 1], got {self.temperature}, {self.top_p}"
            )


@dataclass
class Rollout:
    """N = prompts × num_return_sequences completions; the samples of one prompt are contiguous rows."""

    sequences: torch.Tensor  # [N, P + T] prompt (left-padded) + completion
    prompt_length: int  # P
    completion_ids: torch.Tensor  # [N, T]
    completion_mask: torch.Tensor  # [N, T] 1 up to and including the first end token, 0 after
    texts: list[str]  # decoded completions (special tokens skipped)
    truncated: torch.Tensor  # [N] bool: no end token within max_new_tokens
    prompt_index: list[int]  # input row each of the N rows came from


def end_token_ids(model: PreTrainedModel, processor: ProcessorMixin) -> list[int]:
    """The ids that end a completion: the model's generation config (real checkpoints list several),
    else the tokenizer's end token."""
    ids = model.generation_config.eos_token_id
    if ids is None:
        ids = processor.tokenizer.eos_token_id
    if ids is None:
        raise ValueError("neither the model's generation config nor the tokenizer names an end token")
    return [ids] if isinstance(ids, int) else list(ids)


def completion_mask(completion_ids: torch.Tensor, end_ids: Sequence[int]) -> tuple[torch.Tensor, torch.Tensor]:
    """(mask, truncated): mask is 1 up to and including each row's first end token; a row without
    one is truncated and fully masked in."""
    is_end = torch.isin(completion_ids, torch.tensor(list(end_ids), device=completion_ids.device))
    ended_before = torch.cumsum(is_end.long(), dim=1) - is_end.long()  # end tokens strictly before
    mask = (ended_before == 0).long()
    return mask, ~is_end.any(dim=1)


def _generation_kwargs(sampling: SamplingConfig, end_ids: list[int], pad_id: int) -> dict[str, object]:
    kwargs: dict[str, object] = dict(max_new_tokens=sampling.max_new_tokens, do_sample=sampling.do_sample,
                                     eos_token_id=end_ids, pad_token_id=pad_id)
    if sampling.do_sample:
        # Draw from the model's distribution shaped only by temperature and top_p: a checkpoint's own
        # top_k default (Qwen3-VL ships 20) would make samples disagree with the policy's log-probs.
        kwargs.update(temperature=sampling.temperature, top_p=sampling.top_p, top_k=0)
    return kwargs


def repeat_rows(inputs: Inputs, rows: Sequence[int]) -> Inputs:
    """The prompt inputs of `rows` (input row numbers, repeats allowed), images included.

    Per-token tensors are indexed by row; `pixel_values` and `image_grid_thw` (concatenated over
    images) are gathered image by image. A row's images are the runs of image tokens in its
    `mm_token_type_ids`, in order; each image owns prod(grid) rows of `pixel_values`.
    """
    index = torch.tensor(list(rows), dtype=torch.long)
    out = {key: inputs[key][index.to(inputs[key].device)] for key in PER_TOKEN if key in inputs}
    if "pixel_values" not in inputs:
        return out
    if "mm_token_type_ids" not in inputs:
        raise ValueError("prompt inputs with images need mm_token_type_ids to tell which row owns which image")
    types = inputs["mm_token_type_ids"] == 1
    before = torch.zeros_like(types)
    before[:, 1:] = types[:, :-1]
    starts = types & ~before  # the first token of each image's run
    images_per_row = starts.sum(dim=1).tolist()
    grid = inputs["image_grid_thw"]
    patches = grid.prod(dim=1).tolist()
    first_image = [0, *torch.tensor(images_per_row).cumsum(0).tolist()]
    first_patch = [0, *torch.tensor(patches).cumsum(0).tolist()]
    images = [i for row in rows for i in range(first_image[row], first_image[row + 1])]
    pixel_rows = [p for i in images for p in range(first_patch[i], first_patch[i + 1])]
    pixels = inputs["pixel_values"]
    out["pixel_values"] = pixels[torch.tensor(pixel_rows, dtype=torch.long, device=pixels.device)]
    out["image_grid_thw"] = grid[torch.tensor(images, dtype=torch.long, device=grid.device)]
    return out


def rollout_inputs(rollout: Rollout, inputs: Inputs) -> Inputs:
    """Model keyword arguments for a forward pass over a rollout's full sequences (for log-probs):
    the prompt's images repeated per row, the attention mask extended by the completion mask."""
    prompt = repeat_rows(inputs, rollout.prompt_index)
    mask = rollout.completion_mask.to(prompt["attention_mask"].device, prompt["attention_mask"].dtype)
    full = {**prompt, "input_ids": rollout.sequences,
            "attention_mask": torch.cat([prompt["attention_mask"], mask], dim=1)}
    if "mm_token_type_ids" in prompt:  # completion tokens are text (type 0)
        types = prompt["mm_token_type_ids"]
        full["mm_token_type_ids"] = torch.cat([types, types.new_zeros(mask.shape)], dim=1)
    return full


def _device(model: torch.nn.Module) -> torch.device:
    return next(model.parameters()).device


def generate_rollout(
    model: PreTrainedModel, processor: ProcessorMixin, inputs: Inputs, sampling: SamplingConfig
) -> Rollout:
    """Generate `sampling.num_return_sequences` completions per prompt row of `inputs`.

    `inputs` are left-padded prompt inputs (`models.chat.build_prompt`, or a GRPO batch's "inputs").
    The model (a bare model or a PEFT wrapper) generates in eval mode, which is then restored. The
    graph is off (`no_grad`, not `inference_mode`, so the returned tensors can feed a training step).
    """
    end_ids = end_token_ids(model, processor)
    pad_id = processor.tokenizer.pad_token_id
    pad_id = end_ids[0] if pad_id is None else pad_id
    group = sampling.num_return_sequences
    rows = [row for row in range(inputs["input_ids"].shape[0]) for _ in range(group)]
    device = _device(model)
    # Rows are expanded here rather than by `generate`, which refuses several greedy sequences; the
    # cost is encoding each image once per sample, small beside generating the completions.
    expanded = {key: value.to(device) for key, value in repeat_rows(inputs, rows).items()}
    prompt_length = expanded["input_ids"].shape[1]
    modes = [(module, module.training) for module in model.modules()]  # restored exactly, module by module
    model.eval()
    try:
        with torch.no_grad():
            sequences = model.generate(**expanded, **_generation_kwargs(sampling, end_ids, pad_id))
    finally:
        for module, training in modes:
            module.training = training
    completion_ids = sequences[:, prompt_length:]
    mask, truncated = completion_mask(completion_ids, end_ids)
    kept = [ids[:length] for ids, length in zip(completion_ids, mask.sum(dim=1).tolist(), strict=True)]
    texts = processor.tokenizer.batch_decode(kept, skip_special_tokens=True)
    return Rollout(sequences=sequences, prompt_length=prompt_length, completion_ids=completion_ids,
                   completion_mask=mask, texts=texts, truncated=truncated, prompt_index=rows)


def prepare_images(
    images: Sequence[Image.Image], image_size: int | None = None, pad_color: str | None = None
) -> list[Image.Image]:
    """The data module's image policy: RGB, fitted into an `image_size` square when it is set."""
    rgb = [image.convert("RGB") for image in images]
    return [fit_image(image, image_size, pad_color) for image in rgb] if image_size else rgb


def generate_texts(
    model: PreTrainedModel,
    processor: ProcessorMixin,
    images: Sequence[Image.Image],
    sampling: SamplingConfig,
    image_size: int | None = None,
    pad_color: str | None = None,
) -> list[list[str]]:
    """`num_return_sequences` completions per screenshot, prompted exactly as in training."""
    inputs = build_prompt(processor, prepare_images(images, image_size, pad_color))
    return group_texts(generate_rollout(model, processor, inputs, sampling))


def group_texts(rollout: Rollout) -> list[list[str]]:
    """The rollout's texts per input row."""
    groups: list[list[str]] = [[] for _ in range(max(rollout.prompt_index, default=-1) + 1)]
    for row, text in zip(rollout.prompt_index, rollout.texts, strict=True):
        groups[row].append(text)
    return groups

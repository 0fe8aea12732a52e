"""One sample as the model sees it: the chat prompt with the screenshot, and (for SFT) the target.

The prompt is the family's chat template applied to [system prompt, user turn = image + instruction]
with the generation prompt (`<|assistant|>\\n` for GLM-4.1V, `<|im_start|>assistant\\n` for Qwen3-VL).
The completion is `format_completion(cot, tsx)` followed by the tokenizer's end-of-turn token.

The prompt goes through the processor (which expands the image placeholder into one token per merged
patch and returns `pixel_values`, `image_grid_thw` and, for these families, `mm_token_type_ids`);
the completion is tokenised on its own and appended. The seam is exact: the prompt always ends with
a newline and the completion always starts with the `<think>` added token, so no BPE merge can span
it, and generation sees exactly the prompt tokens that training saw. Labels are -100 on the prompt
and on padding, so the loss covers the completion and its end token only.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import torch
from PIL import Image
from transformers import ProcessorMixin

from widget2code.task import SYSTEM_PROMPT, USER_PROMPT

IGNORE_INDEX = -100
# Per-token keys and the value that pads them; everything else (pixel_values, image_grid_thw) is
# per image and is concatenated along dim 0, which is how both model families take a batch.
_PAD_VALUES = {"attention_mask": 0, "labels": IGNORE_INDEX, "mm_token_type_ids": 0}
_PER_TOKEN = ("input_ids", *_PAD_VALUES)

Features = dict[str, torch.Tensor]


class SequenceTooLongError(ValueError):
    """The prompt alone (instruction + image tokens) does not fit in `max_length`."""


def prompt_messages(
    system_prompt: str = SYSTEM_PROMPT, user_prompt: str = USER_PROMPT
) -> list[dict[str, Any]]:
    return [
        {"role": "system", "content": system_prompt},
        {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": user_prompt}]},
    ]


def prompt_text(processor: ProcessorMixin) -> str:
    """The rendered chat prompt, with one image placeholder, ending in the generation prompt."""
    return processor.apply_chat_template(prompt_messages(), tokenize=False, add_generation_prompt=True)


def encode_prompt(processor: ProcessorMixin, image: Image.Image, text: str | None = None) -> Features:
    """Model inputs for one prompt, unbatched: 1-D per-token tensors plus this image's patches."""
    encoded = processor(text=[text or prompt_text(processor)], images=[image], return_tensors="pt")
    return {key: value[0] if key in _PER_TOKEN else value for key, value in encoded.items()}


def encode_sft(
    processor: ProcessorMixin,
    image: Image.Image,
    target_text: str,
    max_length: int | None = None,
    text: str | None = None,
) -> Features:
    """Prompt + completion for one sample, unbatched, with labels masked to the completion.

    When `max_length` is given and the sequence is longer, the completion is cut at the end (the
    prompt, holding the image tokens, is never cut; if it alone is too long the error says so).
    """
    features = encode_prompt(processor, image, text)
    tokenizer = processor.tokenizer
    completion = tokenizer(target_text + tokenizer.eos_token, add_special_tokens=False, return_tensors="pt")
    completion_ids = completion["input_ids"][0]
    prompt_length = features["input_ids"].shape[0]
    if max_length is not None:
        room = max_length - prompt_length
        if room <= 0:
            raise SequenceTooLongError(
                f"the prompt is {prompt_length} tokens (image included), max_length={max_length} leaves no room "
                "for the answer: raise max_length or lower the image size"
            )
        completion_ids = completion_ids[:room]
    features["input_ids"] = torch.cat([features["input_ids"], completion_ids])
    features["attention_mask"] = torch.ones_like(features["input_ids"])
    if "mm_token_type_ids" in features:  # text tokens are type 0
        features["mm_token_type_ids"] = torch.cat(
            [features["mm_token_type_ids"], torch.zeros_like(completion_ids)]
        )
    features["labels"] = torch.cat([torch.full((prompt_length,), IGNORE_INDEX), completion_ids])
    return features


def collate(
    examples: Sequence[Features], pad_token_id: int, padding_side: Literal["left", "right"] = "right"
) -> Features:
    """Pad per-token tensors to the longest example and concatenate per-image ones.

    Right padding suits training; generation needs left padding so every prompt ends in the same
    column and new tokens follow directly.
    """
    if not examples:
        raise ValueError("cannot collate an empty list of examples")
    longest = max(example["input_ids"].shape[0] for example in examples)
    batch: Features = {}
    for key in examples[0]:
        if key not in _PER_TOKEN:
            batch[key] = torch.cat([example[key] for example in examples])
            continue
        value = pad_token_id if key == "input_ids" else _PAD_VALUES[key]
        rows = []
        for example in examples:
            row = example[key]
            pad = torch.full((longest - row.shape[0],), value, dtype=row.dtype)
            rows.append(torch.cat([pad, row] if padding_side == "left" else [row, pad]))
        batch[key] = torch.stack(rows)
    return batch


def build_sft_example(
    processor: ProcessorMixin, image: Image.Image, target_text: str, max_length: int | None = None
) -> Features:
    """A batch of one training example (prompt + target, labels on the target and its end token)."""
    features = encode_sft(processor, image, target_text, max_length)
    return collate([features], processor.tokenizer.pad_token_id)


def build_prompt(processor: ProcessorMixin, images: Image.Image | Sequence[Image.Image]) -> Features:
    """Left-padded generation inputs for one image or several; new tokens start at `input_ids.shape[1]`."""
    images = [images] if isinstance(images, Image.Image) else list(images)
    text = prompt_text(processor)
    examples = [encode_prompt(processor, image, text) for image in images]
    return collate(examples, processor.tokenizer.pad_token_id, padding_side="left")

from __future__ import annotations

import pytest
import torch
from PIL import Image, ImageDraw

from widget2code.models.chat import (
    IGNORE_INDEX,
    SequenceTooLongError,
    build_prompt,
    build_sft_example,
    collate,
    encode_sft,
    prompt_text,
)


def _screenshot(size: tuple[int, int], color: str) -> Image.Image:
    image = Image.new("RGB", size, "white")
    ImageDraw.Draw(image).rounded_rectangle([8, 8, size[0] - 8, size[1] - 8], radius=10, fill=color)
    return image


def _image_tokens(processor, batch) -> int:
    return int((batch["image_grid_thw"].prod(dim=-1) // processor.image_processor.merge_size**2).sum())


def test_labels_cover_exactly_the_target_and_its_end_token(tiny, targets) -> None:
    processor = tiny.processor
    tokenizer = processor.tokenizer
    batch = build_sft_example(processor, _screenshot((112, 112), "#1e293b"), targets[1])
    ids, labels = batch["input_ids"][0], batch["labels"][0]
    kept = labels != IGNORE_INDEX
    start = int(kept.nonzero()[0])
    assert kept[start:].all() and not kept[:start].any()  # one contiguous suffix
    assert torch.equal(labels[kept], ids[kept])
    assert tokenizer.decode(labels[kept]) == targets[1] + tokenizer.eos_token
    assert tokenizer.decode(ids[:start]).endswith(prompt_text(processor).split(tokenizer.image_token)[-1])
    # the prompt holds one placeholder per merged patch: 112 px -> 16 tokens
    assert int((ids == processor.image_token_id).sum()) == _image_tokens(processor, batch) == 16
    assert torch.equal(batch["mm_token_type_ids"][0].bool(), ids == processor.image_token_id)
    # the seam is exact: tokenising the whole text in one go gives the same ids
    expanded = tokenizer.decode(ids[:start]) + targets[1] + tokenizer.eos_token
    assert tokenizer(expanded, add_special_tokens=False)["input_ids"] == ids.tolist()


def test_generation_prompt_is_the_training_prefix(tiny, targets) -> None:
    processor = tiny.processor
    images = [_screenshot((112, 112), "#ef4444"), _screenshot((240, 120), "#22c55e")]
    prompts = build_prompt(processor, images)
    ids, mask = prompts["input_ids"], prompts["attention_mask"]
    assert (mask[:, -1] == 1).all() and (mask[0] == 0).any() != (mask[1] == 0).any()  # left padding
    for row, image in enumerate(images):
        sft = encode_sft(processor, image, targets[0])
        prompt_ids = ids[row][mask[row].bool()]
        assert torch.equal(sft["input_ids"][: len(prompt_ids)], prompt_ids)
    assert prompts["pixel_values"].shape[0] == int(prompts["image_grid_thw"].prod(dim=-1).sum())


def test_wide_images_stay_within_the_token_budget(tiny) -> None:
    processor = tiny.processor
    batch = build_prompt(processor, _screenshot((900, 300), "#6366f1"))
    tokens = _image_tokens(processor, batch)
    _, h, w = batch["image_grid_thw"][0].tolist()
    assert 1 <= tokens <= 16 and w > h  # aspect ratio kept


def test_max_length_cuts_the_target_never_the_prompt(tiny, targets) -> None:
    processor = tiny.processor
    image = _screenshot((112, 112), "#0ea5e9")
    full = encode_sft(processor, image, targets[2])
    prompt_length = int((full["labels"] == IGNORE_INDEX).sum())
    cut = encode_sft(processor, image, targets[2], max_length=prompt_length + 5)
    assert cut["input_ids"].shape[0] == prompt_length + 5
    assert torch.equal(cut["labels"][-5:], full["labels"][prompt_length : prompt_length + 5])
    with pytest.raises(SequenceTooLongError, match="max_length=10"):
        encode_sft(processor, image, targets[2], max_length=10)


def test_collate_pads_right_with_ignored_labels(tiny, targets) -> None:
    processor = tiny.processor
    short = encode_sft(processor, _screenshot((112, 112), "#000000"), "<think></think><code>x</code>")
    long = encode_sft(processor, _screenshot((112, 112), "#ffffff"), targets[1])
    batch = collate([short, long], processor.tokenizer.pad_token_id)
    pad = long["input_ids"].shape[0] - short["input_ids"].shape[0]
    assert pad > 0
    assert (batch["labels"][0, -pad:] == IGNORE_INDEX).all()
    assert (batch["attention_mask"][0, -pad:] == 0).all() and batch["attention_mask"][1].all()
    assert (batch["input_ids"][0, -pad:] == processor.tokenizer.pad_token_id).all()
    assert batch["pixel_values"].shape[0] == short["pixel_values"].shape[0] + long["pixel_values"].shape[0]
    with pytest.raises(ValueError, match="empty"):
        collate([], 0)

"""The generation seam on real tiny models: rollout shapes, masks, end tokens, alignment for log-probs."""

from __future__ import annotations

import torch
from inference_widgets import CORPUS, IMAGE_SIZE, POOR_ANSWER
from peft import LoraConfig, get_peft_model
from PIL import Image

from widget2code.data.datamodule import fit_image
from widget2code.inference.generate import (
    SamplingConfig,
    completion_mask,
    generate_rollout,
    generate_texts,
    repeat_rows,
    rollout_inputs,
)
from widget2code.inference.model_predictor import ModelProposer
from widget2code.inference.predictor import Revision
from widget2code.models.chat import build_prompt
from widget2code.models.factory import LoadedModel, build_tiny_model
from widget2code.models.tokenizer import train_tokenizer

GREEDY = SamplingConfig(max_new_tokens=8, do_sample=False)


def screenshots() -> list[Image.Image]:
    return [Image.new("RGB", (112, 112), "#1e293b"), Image.new("RGB", (90, 140), "white")]


def test_rollout_shapes_and_contiguous_groups(tiny: LoadedModel) -> None:
    inputs = build_prompt(tiny.processor, screenshots())
    prompt_length = inputs["input_ids"].shape[1]
    tiny.model.train()
    torch.manual_seed(0)
    try:
        rollout = generate_rollout(tiny.model, tiny.processor, inputs,
                                   SamplingConfig(max_new_tokens=6, num_return_sequences=3))
        assert tiny.model.training, "the model's train mode must be restored"
    finally:
        tiny.model.eval()
    n, t = rollout.completion_ids.shape
    assert n == 6 and 1 <= t <= 6
    assert rollout.prompt_length == prompt_length
    assert rollout.sequences.shape == (6, prompt_length + t)
    assert rollout.prompt_index == [0, 0, 0, 1, 1, 1]
    assert torch.equal(rollout.sequences[:, :prompt_length], inputs["input_ids"][rollout.prompt_index])
    assert torch.equal(rollout.completion_ids, rollout.sequences[:, prompt_length:])
    assert rollout.completion_mask.shape == (6, t) and rollout.truncated.shape == (6,)
    assert rollout.truncated.dtype == torch.bool and len(rollout.texts) == 6
    assert rollout.completion_mask[rollout.truncated].all(), "a truncated row is fully masked in"


def test_completion_mask_covers_up_to_the_first_end_token() -> None:
    end = [0, 9]  # two end ids, as real checkpoints list; 0 is also the padding (GLM)
    ids = torch.tensor([[5, 6, 0, 0, 0],   # ends at 2, then padding that equals the end token
                        [0, 0, 0, 0, 0],   # ends at once
                        [5, 6, 7, 8, 4],   # never ends: truncated
                        [5, 9, 7, 0, 0]])  # the second end id
    mask, truncated = completion_mask(ids, end)
    assert mask.tolist() == [[1, 1, 1, 0, 0], [1, 0, 0, 0, 0], [1, 1, 1, 1, 1], [1, 1, 0, 0, 0]]
    assert truncated.tolist() == [False, False, True, False]


def test_the_end_token_stops_a_row_and_closes_its_mask(tiny: LoadedModel) -> None:
    inputs = build_prompt(tiny.processor, screenshots())
    free = generate_rollout(tiny.model, tiny.processor, inputs, GREEDY).completion_ids.tolist()
    # Declare as end token the third token row 0 writes (or its first, when the third came before).
    k = 2 if free[0][2] not in free[0][:2] else 0
    end = free[0][k]
    config = tiny.model.generation_config
    kept = config.eos_token_id
    config.eos_token_id = end
    try:
        rollout = generate_rollout(tiny.model, tiny.processor, inputs, GREEDY)
    finally:
        config.eos_token_id = kept
    pad = tiny.processor.tokenizer.pad_token_id
    lengths = [row.index(end) + 1 if end in row else len(row) for row in free]
    assert rollout.completion_ids.shape[1] == (max(lengths) if all(end in row for row in free) else 8)
    for i, (row, length) in enumerate(zip(free, lengths, strict=True)):
        assert rollout.completion_ids[i, :length].tolist() == row[:length]
        assert rollout.completion_mask[i].tolist() == [1] * length + [0] * (rollout.completion_ids.shape[1] - length)
        assert (rollout.completion_ids[i, length:] == pad).all()
        assert bool(rollout.truncated[i]) == (end not in row)
    assert lengths[0] == k + 1 and not rollout.truncated[0]


def test_rollout_inputs_align_log_probs_with_the_sampled_tokens(tiny: LoadedModel) -> None:
    inputs = build_prompt(tiny.processor, screenshots())
    rollout = generate_rollout(tiny.model, tiny.processor, inputs,
                               SamplingConfig(max_new_tokens=6, do_sample=False, num_return_sequences=2))
    with torch.no_grad():
        logits = tiny.model(**rollout_inputs(rollout, inputs)).logits
    p = rollout.prompt_length
    chosen = logits[:, p - 1:-1].argmax(dim=-1)  # greedy: the argmax is what was generated
    assert ((chosen == rollout.completion_ids) | (rollout.completion_mask == 0)).all()


def test_repeat_rows_gathers_each_rows_images(tiny: LoadedModel) -> None:
    """Two-image (polish) prompts of different sizes: rows repeated keep their own images."""
    proposer = ModelProposer(tiny.model, tiny.processor, GREEDY)
    requests = [Revision(target=Image.new("RGB", (112, 112), "red"), rendering=Image.new("RGB", (60, 112), "blue"),
                         code="a"),
                Revision(target=Image.new("RGB", (140, 84), "green"), rendering=None, code="b", error="syntax")]
    batch = proposer.revision_inputs(requests)
    alone = [proposer.revision_inputs([request]) for request in requests]
    assert batch["image_grid_thw"].shape[0] == 4  # two images per prompt
    picked = repeat_rows(batch, [1, 0, 1])
    order = [alone[1], alone[0], alone[1]]
    assert torch.equal(picked["pixel_values"], torch.cat([one["pixel_values"] for one in order]))
    assert torch.equal(picked["image_grid_thw"], torch.cat([one["image_grid_thw"] for one in order]))
    assert torch.equal(picked["input_ids"], batch["input_ids"][[1, 0, 1]])
    texts = proposer.revise(requests, n=2)
    assert [len(group) for group in texts] == [2, 2]


def test_texts_round_trip_the_scripted_answer(scripted: LoadedModel, target: Image.Image) -> None:
    """The decoded text is exactly the answer the model wrote, format tags included, end token excluded."""
    tokenizer = scripted.processor.tokenizer
    answer_ids = tokenizer(POOR_ANSWER, add_special_tokens=False).input_ids
    inputs = build_prompt(scripted.processor, [fit_image(target, IMAGE_SIZE)])
    rollout = generate_rollout(scripted.model, scripted.processor, inputs,
                               SamplingConfig(max_new_tokens=len(answer_ids) + 4, do_sample=False))
    assert rollout.texts == [POOR_ANSWER]
    assert not rollout.truncated[0]
    assert rollout.completion_mask[0].sum() == len(answer_ids) + 1  # the answer and its end token
    assert rollout.completion_ids[0, : len(answer_ids)].tolist() == answer_ids


def test_generate_texts_fits_the_image_and_works_through_peft() -> None:
    """A fresh model (LoRA changes modules in place): LoRA starts as a no-op, so answers stay the same."""
    loaded = build_tiny_model("qwen3vl", train_tokenizer(CORPUS, "qwen3vl", vocab_size=600), preset="tiny")
    wide = Image.new("RGB", (400, 250), "#fef3c7")
    base = generate_texts(loaded.model, loaded.processor, [wide], GREEDY, image_size=IMAGE_SIZE)
    fitted = generate_rollout(loaded.model, loaded.processor,
                              build_prompt(loaded.processor, [fit_image(wide, IMAGE_SIZE)]), GREEDY)
    assert base == [fitted.texts]
    wrapped = get_peft_model(loaded.model, LoraConfig(r=2, target_modules=["q_proj", "v_proj"]))
    wrapped.train()
    assert generate_texts(wrapped, loaded.processor, [wide], GREEDY, image_size=IMAGE_SIZE) == base
    assert wrapped.training

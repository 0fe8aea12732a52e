from __future__ import annotations

import re

import pytest
import torch
from PIL import Image, ImageDraw

from widget2code.models.chat import build_prompt, collate, encode_sft
from widget2code.models.factory import (
    ModelLoadError,
    build_tiny_model,
    load_pretrained,
    model_family,
    nf4_config,
)


def _images() -> list[Image.Image]:
    first = Image.new("RGB", (112, 112), "#f8fafc")
    ImageDraw.Draw(first).rectangle([10, 10, 60, 100], fill="#1d4ed8")
    second = Image.new("RGB", (160, 90), "#0f172a")
    ImageDraw.Draw(second).ellipse([20, 10, 80, 70], fill="#facc15")
    return [first, second]


def test_tiny_model_is_the_real_architecture(tiny, family: str) -> None:
    model, processor = tiny.model, tiny.processor
    assert model_family(model) == family
    assert type(model).__name__ == {"glm4v": "Glm4vForConditionalGeneration",
                                    "qwen3vl": "Qwen3VLForConditionalGeneration"}[family]  # fmt: skip
    assert 100_000 < sum(p.numel() for p in model.parameters()) < 1_000_000
    assert model.config.image_token_id == processor.image_token_id == processor.tokenizer.image_token_id
    assert model.config.text_config.vocab_size == len(processor.tokenizer)


def test_same_seed_same_weights(tiny, family: str) -> None:
    model, processor = tiny.model, tiny.processor
    torch.manual_seed(123)
    expected_next = torch.rand(1)
    torch.manual_seed(123)
    again = build_tiny_model(family, processor.tokenizer, preset="tiny", seed=0).model
    assert torch.equal(torch.rand(1), expected_next)  # the caller's RNG is untouched
    other = build_tiny_model(family, processor.tokenizer, preset="tiny", seed=1).model
    for (name, a), b in zip(model.state_dict().items(), again.state_dict().values(), strict=True):
        assert torch.equal(a, b), name
    assert any(not torch.equal(a, c) for a, c in zip(model.parameters(), other.parameters(), strict=True))


def test_random_merger_passes_the_image_on(tiny) -> None:
    # The merger bridges vision and language. At the config's std 0.02 GLM-4V's SwiGLU merger shrinks
    # unit-scale features ~1000x (so images barely reach the language model); fan-in init keeps them.
    merger = tiny.model.model.visual.merger
    norm = getattr(merger, "norm", None)  # Qwen3-VL normalises each patch before merging 2x2 of them
    width = norm.normalized_shape[0] if norm is not None else merger.proj.in_features
    features = torch.randn(256, width, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        out = merger(features)
    assert out.std() > 0.05 * features.std()
    assert (out[0] - out[1]).abs().mean() > 0.05 * out.abs().mean()  # different inputs, different outputs


@pytest.mark.slow
def test_forward_backward_and_generate(tiny, targets) -> None:
    model, processor = tiny.model, tiny.processor
    batch = collate(
        [encode_sft(processor, image, target) for image, target in zip(_images(), targets, strict=False)],
        processor.tokenizer.pad_token_id,
    )
    model.train()
    model.zero_grad()
    loss = model(**batch).loss
    assert torch.isfinite(loss) and loss > 0
    loss.backward()
    vision = [p.grad for n, p in model.named_parameters() if n.startswith("model.visual.")]
    language = [p.grad for n, p in model.named_parameters() if n.startswith("model.language_model.")]
    assert vision and language
    # gradient reaches the vision tower: the image path is connected to the loss
    assert all(g is not None for g in vision + language) and any(g.abs().sum() > 0 for g in vision)

    model.eval()
    prompts = build_prompt(processor, _images())
    with torch.no_grad():
        out = model.generate(**prompts, max_new_tokens=6, do_sample=False)
    prompt_length = prompts["input_ids"].shape[1]
    assert out.shape[0] == 2 and prompt_length < out.shape[1] <= prompt_length + 6  # may stop early at eos
    assert torch.equal(out[:, :prompt_length], prompts["input_ids"])


def test_small_preset_is_about_three_million_parameters(tiny, family: str) -> None:
    model = build_tiny_model(family, tiny.processor.tokenizer, preset="small").model
    assert 2_000_000 < sum(p.numel() for p in model.parameters()) < 4_500_000
    with pytest.raises(ValueError, match="huge"):
        build_tiny_model(family, tiny.processor.tokenizer, preset="huge")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="image_size"):
        build_tiny_model(family, tiny.processor.tokenizer, image_size=None)  # type: ignore[arg-type]


def test_load_pretrained_round_trips_a_saved_model(tiny, tmp_path) -> None:
    model, processor = tiny.model, tiny.processor
    model.save_pretrained(tmp_path)
    processor.save_pretrained(tmp_path)
    loaded, loaded_processor, _ = load_pretrained(str(tmp_path), family=model_family(model), dtype="float32")
    image = _images()[1]
    original = encode_sft(processor, image, "<think>a</think><code>b</code>")
    reloaded = encode_sft(loaded_processor, image, "<think>a</think><code>b</code>")
    assert original.keys() == reloaded.keys() and all(torch.equal(original[k], reloaded[k]) for k in original)
    batch = collate([original], processor.tokenizer.pad_token_id)
    model.eval()
    with torch.no_grad():
        assert torch.allclose(model(**batch).logits, loaded(**batch).logits)
    other = "qwen3vl" if model_family(model) == "glm4v" else "glm4v"
    with pytest.raises(ModelLoadError, match=f"family='{other}'"):
        load_pretrained(str(tmp_path), family=other)  # type: ignore[arg-type]


def test_missing_weights_raise_model_load_error(tmp_path) -> None:
    with pytest.raises(ModelLoadError, match=r"/no/such/model.*directory holding a saved model"):
        load_pretrained("/no/such/model")
    with pytest.raises(ModelLoadError, match=str(tmp_path)):
        load_pretrained(str(tmp_path))  # a directory, but no config.json
    with pytest.raises(
        ModelLoadError, match=re.escape("huggingface-cli download zai-org/GLM-4.1V-9B-Thinking")
    ):
        load_pretrained("zai-org/GLM-4.1V-9B-Thinking", local_files_only=True)
    with pytest.raises(ValueError, match="int3"):
        load_pretrained(str(tmp_path), quantization="int3")  # type: ignore[arg-type]


def test_nf4_config_keeps_vision_and_head_unquantised() -> None:
    config = nf4_config()
    assert config.load_in_4bit and config.bnb_4bit_quant_type == "nf4" and config.bnb_4bit_use_double_quant
    assert config.bnb_4bit_compute_dtype == torch.bfloat16
    assert config.llm_int8_skip_modules == ["model.visual", "lm_head"]

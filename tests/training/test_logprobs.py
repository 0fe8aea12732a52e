"""Completion log-probs on real tiny GLM-4V and Qwen3-VL models, against a naive full-logits computation."""

from __future__ import annotations

import pytest
import torch
from PIL import Image, ImageDraw

from widget2code.models.chat import build_prompt
from widget2code.models.factory import LoadedModel, build_tiny_model
from widget2code.models.tokenizer import train_tokenizer
from widget2code.task import SYSTEM_PROMPT, USER_PROMPT, format_completion
from widget2code.training.logprobs import LogprobsError, completion_logprobs

TEMPERATURE = 0.7
COMPLETIONS = [
    format_completion("A dark card.", 'export default function A() {\n  return <div className="bg-black p-4">9</div>;\n}'),
    format_completion("Green.", "export default function B() { return null; }"),
]


@pytest.fixture(scope="module", params=["glm4v", "qwen3vl"])
def tiny(request: pytest.FixtureRequest) -> LoadedModel:
    tokenizer = train_tokenizer([SYSTEM_PROMPT, USER_PROMPT, *COMPLETIONS], request.param, vocab_size=500)
    return build_tiny_model(request.param, tokenizer, preset="tiny", seed=1)


@pytest.fixture(scope="module")
def batch(tiny: LoadedModel) -> tuple[dict[str, torch.Tensor], torch.Tensor, torch.Tensor]:
    """Two prompts of different lengths (left padding) and two completions of different lengths (right padding)."""
    images = [Image.new("RGB", (112, 112), "#111827"), Image.new("RGB", (224, 112), "white")]
    ImageDraw.Draw(images[1]).rectangle([20, 20, 200, 90], fill="#22c55e")
    inputs = build_prompt(tiny.processor, images)
    tokenizer = tiny.processor.tokenizer
    rows = [tokenizer(text + tokenizer.eos_token, add_special_tokens=False)["input_ids"] for text in COMPLETIONS]
    longest = max(map(len, rows))
    ids = torch.tensor([row + [tokenizer.pad_token_id] * (longest - len(row)) for row in rows])
    mask = torch.tensor([[1] * len(row) + [0] * (longest - len(row)) for row in rows])
    assert (inputs["attention_mask"] == 0).any() and (mask == 0).any()
    return inputs, ids, mask


def naive_logprobs(model, inputs, ids, mask) -> tuple[torch.Tensor, torch.Tensor]:
    """Every position's logits, the completion's slice, full log-softmax: the obvious, memory-hungry way."""
    full = dict(inputs)
    full["input_ids"] = torch.cat([inputs["input_ids"], ids], dim=1)
    full["attention_mask"] = torch.cat([inputs["attention_mask"], mask], dim=1)
    full["mm_token_type_ids"] = torch.cat([inputs["mm_token_type_ids"], torch.zeros_like(ids)], dim=1)
    logits = model(**full).logits[:, inputs["input_ids"].shape[1] - 1:-1] / TEMPERATURE
    logp = logits.log_softmax(dim=-1)
    entropy = -(logp.exp() * logp).sum(-1)
    return logp.gather(-1, ids.unsqueeze(-1)).squeeze(-1) * mask, entropy * mask


@pytest.mark.slow
def test_matches_the_naive_computation_chunked_or_not_with_gradients(tiny, batch) -> None:
    model = tiny.model
    inputs, ids, mask = batch
    model.zero_grad()
    expected, expected_entropy = naive_logprobs(model, inputs, ids, mask)
    expected.sum().backward()
    expected_grads = {name: p.grad.clone() for name, p in model.named_parameters() if p.grad is not None}
    assert expected_grads

    kept_positions = []
    hook = model.get_output_embeddings().register_forward_hook(lambda m, i, out: kept_positions.append(out.shape[1]))
    try:
        for chunk_size in (None, 5):  # 5 leaves a short last chunk
            model.zero_grad()
            logps, entropy = completion_logprobs(model, inputs, ids, mask, temperature=TEMPERATURE,
                                                 chunk_size=chunk_size, return_entropy=True)
            assert logps.shape == ids.shape and logps.dtype == torch.float32
            torch.testing.assert_close(logps, expected, rtol=0, atol=1e-5)
            torch.testing.assert_close(entropy, expected_entropy.detach(), rtol=0, atol=1e-5)
            assert (logps[mask == 0] == 0).all() and not entropy.requires_grad
            logps.sum().backward()  # gradients flow through the checkpointed chunks into the model
            for name, p in model.named_parameters():
                if name in expected_grads:
                    # chunking reorders float32 sums: allow rounding on the scale of the tensor's largest entry
                    scale = float(expected_grads[name].abs().max())
                    torch.testing.assert_close(p.grad, expected_grads[name], rtol=1e-4, atol=1e-6 + 1e-5 * scale)
    finally:
        hook.remove()
    assert kept_positions == [ids.shape[1] + 1] * 2  # only the completion's positions reach the head


def test_without_grad_for_old_and_reference_passes(tiny, batch) -> None:
    inputs, ids, mask = batch
    with torch.no_grad():
        expected, _ = naive_logprobs(tiny.model, inputs, ids, mask)
        logps = completion_logprobs(tiny.model, inputs, ids, mask, temperature=TEMPERATURE, chunk_size=3)
    assert not logps.requires_grad
    torch.testing.assert_close(logps, expected, rtol=0, atol=1e-5)
    # a shifted slice (an off-by-one in the alignment) would not match
    assert not torch.allclose(logps[:, 1:], expected[:, :-1], atol=1e-3)


def test_bad_inputs_raise_typed_errors(tiny, batch) -> None:
    inputs, ids, mask = batch
    with pytest.raises(LogprobsError, match="completion_ids"):
        completion_logprobs(tiny.model, inputs, ids[:1], mask[:1])
    with pytest.raises(LogprobsError, match="completion_mask"):
        completion_logprobs(tiny.model, inputs, ids, mask[:, :-1])
    with pytest.raises(LogprobsError, match="temperature"):
        completion_logprobs(tiny.model, inputs, ids, mask, temperature=0.0)
    with pytest.raises(LogprobsError, match="chunk_size"):
        completion_logprobs(tiny.model, inputs, ids, mask, chunk_size=0)
    with pytest.raises(LogprobsError, match="input_ids"):
        completion_logprobs(tiny.model, {}, ids, mask)

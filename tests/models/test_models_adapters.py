"""Adapters on the tiny real-architecture models: what trains, the reference policy, save and reload."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
import torch
from hydra.utils import instantiate
from models.conftest import CORPUS, TARGETS
from omegaconf import OmegaConf
from peft import PeftModel
from PIL import Image
from transformers import AutoProcessor, PreTrainedTokenizerFast

from widget2code.models.adapters import (
    REFERENCE,
    TRAINABLE,
    AdapterError,
    AdapterSettings,
    attach_adapters,
    load_for_inference,
    reference_model,
    save_adapter,
)
from widget2code.models.chat import collate, encode_sft
from widget2code.models.factory import LoadedModel, ModelLoadError, build_tiny_model, load_pretrained
from widget2code.models.tokenizer import train_tokenizer

PEFT_CONFIGS = sorted((Path(__file__).resolve().parents[2] / "conf" / "peft").glob("*.yaml"))
LORA = dict(method="lora", r=8, alpha=16, dropout=0.1)


@cache
def _tokenizer(family: str) -> PreTrainedTokenizerFast:
    return train_tokenizer(CORPUS, family, vocab_size=600)  # type: ignore[arg-type]


def _fresh(family: str = "glm4v") -> LoadedModel:
    """A new tiny model each time: adapters are injected in place."""
    return build_tiny_model(family, _tokenizer(family), preset="tiny")  # type: ignore[arg-type]


def _batch(processor) -> dict[str, torch.Tensor]:
    images = [Image.new("RGB", (112, 112), "#1d4ed8"), Image.new("RGB", (140, 100), "#facc15")]
    examples = [encode_sft(processor, image, target) for image, target in zip(images, TARGETS, strict=False)]
    return collate(examples, processor.tokenizer.pad_token_id)


def _train(model: torch.nn.Module, batch: dict[str, torch.Tensor], steps: int = 2) -> None:
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-2)
    model.train()
    for _ in range(steps):
        model(**batch).loss.backward()
        optimizer.step()
        optimizer.zero_grad()


@torch.no_grad()
def _logits(model: torch.nn.Module, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    training = model.training
    model.eval()
    logits = model(**batch).logits
    model.train(training)
    return logits


def _snapshot(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {name: p.detach().clone() for name, p in model.named_parameters()}


def _changed(model: torch.nn.Module, before: dict[str, torch.Tensor]) -> set[str]:
    return {name for name, p in model.named_parameters() if not torch.equal(p, before[name])}


def _is_vision(name: str) -> bool:
    return ".visual." in name


@pytest.mark.parametrize("path", PEFT_CONFIGS, ids=lambda p: p.stem)
def test_peft_configs_build_settings(path: Path) -> None:
    settings = instantiate(OmegaConf.load(path))
    assert isinstance(settings, AdapterSettings) and isinstance(settings.target_modules, list)
    expected = {
        "none": ("none", True),
        "lora_r16": ("lora", False),
        "qlora_r64": ("qlora", False),
        "lora_tiny": ("lora", True),
    }[path.stem]
    assert (settings.method, settings.vision_trains) == expected
    if path.stem == "lora_r16":
        assert (settings.r, settings.alpha, settings.dropout) == (16, 32, 0.05)
        assert settings.target_modules == ["q_proj", "k_proj", "v_proj", "o_proj"]
    if path.stem == "qlora_r64":
        assert (settings.r, settings.alpha) == (64, 128)


def test_vision_trains_by_default_only_in_a_full_fine_tune() -> None:
    assert AdapterSettings(method="none").vision_trains and not AdapterSettings(method="lora").vision_trains
    assert not AdapterSettings(method="none", train_vision=False).vision_trains


@pytest.mark.parametrize(
    "kwargs, named",
    [
        (dict(method="dora"), "method 'dora'"),
        (dict(r=0), "r"),
        (dict(alpha=-1), "alpha"),
        (dict(dropout=1.0), "dropout"),
        (dict(target_modules=[]), "target_modules"),
        (dict(target_modules="q_proj"), "target_modules"),
        (dict(bias="some"), "bias 'some'"),
    ],
)
def test_bad_settings_name_the_field(kwargs: dict, named: str) -> None:
    with pytest.raises(AdapterError, match=f"peft {named}"):
        AdapterSettings(**kwargs)


@pytest.mark.slow
def test_lora_trains_only_the_adapter_on_one_base() -> None:
    model, processor = _fresh("glm4v")[:2]
    bare = {name: p.data_ptr() for name, p in model.named_parameters()}
    batch = _batch(processor)
    policy = attach_adapters(model, AdapterSettings(**LORA, gradient_checkpointing=True))

    trainable = {name for name, p in policy.named_parameters() if p.requires_grad}
    assert trainable and all(".lora_" in name and not _is_vision(name) for name in trainable)
    targets = {name.split(".lora_")[0].rsplit(".", 1)[-1] for name in trainable}
    assert targets == {"q_proj", "k_proj", "v_proj", "o_proj"}
    assert any(getattr(module, "gradient_checkpointing", False) for module in policy.modules())
    # the base weights are the loaded model's own tensors, not copies
    base = {name.replace("base_model.model.", "", 1).replace(".base_layer", ""): p.data_ptr()
            for name, p in policy.named_parameters() if ".lora_" not in name}  # fmt: skip
    assert base == bare

    before = _snapshot(policy)
    _train(policy, batch)
    assert _changed(policy, before) == trainable


@pytest.mark.slow
def test_saved_adapter_with_vision_reloads_with_the_same_logits(tmp_path: Path) -> None:
    model, processor = _fresh("glm4v")[:2]
    batch = _batch(processor)
    policy = attach_adapters(model, AdapterSettings(**LORA, train_vision=True), reference=True)
    trainable = {name for name, p in policy.named_parameters() if p.requires_grad}
    assert any(_is_vision(name) for name in trainable)
    before = _snapshot(policy)
    _train(policy, batch)
    changed = _changed(policy, before)
    # the vision tower's trainable copy learns; the original (the reference's) stays as loaded
    assert any(_is_vision(name) and f"modules_to_save.{TRAINABLE}." in name for name in changed)
    assert changed == trainable

    saved = save_adapter(policy, processor, tmp_path / "adapter")
    files = {path.name for path in saved.iterdir()}
    assert {"adapter_config.json", "adapter_model.safetensors", "tokenizer.json", "processor_config.json"} <= (
        files
    )
    assert not (saved / REFERENCE).exists() and not list(tmp_path.glob(".adapter*"))
    expected = _logits(policy, batch)
    for merge in (False, True):
        loaded = load_for_inference(_fresh("glm4v"), saved, merge=merge)
        assert isinstance(loaded.model, PeftModel) != merge and not loaded.model.training
        assert loaded.processor.tokenizer.get_vocab() == processor.tokenizer.get_vocab()
        torch.testing.assert_close(_logits(loaded.model, batch), expected, rtol=1e-5, atol=1e-5)


def _assert_same_state(policy: torch.nn.Module, flags: dict[str, bool], modes: dict[str, bool]) -> None:
    assert {name: p.requires_grad for name, p in policy.named_parameters()} == flags
    assert {name: m.training for name, m in policy.named_modules()} == modes
    assert policy.active_adapter == TRAINABLE


@pytest.mark.slow
@pytest.mark.parametrize("start", ["cold", "adapter"])
def test_reference_policy_is_the_frozen_start(start: str, tmp_path: Path) -> None:
    settings = AdapterSettings(**LORA, train_vision=True)  # the tower's trainable copy must not leak in
    model, processor = _fresh("glm4v")[:2]
    batch = _batch(processor)
    adapter_path = None
    if start == "adapter":  # an SFT adapter to start GRPO from
        sft = attach_adapters(_fresh("glm4v").model, settings)
        _train(sft, batch)
        adapter_path = save_adapter(sft, processor, tmp_path / "sft")
        start_logits = _logits(sft, batch)
    else:
        start_logits = _logits(model, batch)
    total = sum(p.numel() for p in model.parameters())

    policy = attach_adapters(model, settings, adapter_path=adapter_path, reference=True)
    adapter = sum(p.numel() for p in policy.parameters() if p.requires_grad)
    copies = 2 if start == "adapter" else 1  # the trainable adapter (LoRA + tower), and the reference's
    assert sum(p.numel() for p in policy.parameters()) == total + copies * adapter  # one base
    torch.testing.assert_close(_logits(policy, batch), start_logits, rtol=0, atol=1e-6)

    policy.train()
    flags = {name: p.requires_grad for name, p in policy.named_parameters()}
    modes = {name: m.training for name, m in policy.named_modules()}
    for _ in range(2):  # before and after training steps of the policy
        with torch.no_grad(), reference_model(policy) as reference:
            assert reference is policy and not policy.training  # eval: no dropout in the reference
            torch.testing.assert_close(policy(**batch).logits, start_logits, rtol=0, atol=1e-6)
        _assert_same_state(policy, flags, modes)
        _train(policy, batch)
    assert not torch.allclose(_logits(policy, batch), start_logits, atol=1e-3)  # the policy did move


def test_reference_needs_reference_true_and_matching_adapters(tmp_path: Path) -> None:
    model, processor = _fresh("glm4v")[:2]
    policy = attach_adapters(model, AdapterSettings(**LORA))
    with pytest.raises(AdapterError, match=r"reference=True"), reference_model(policy):
        pass
    with pytest.raises(AdapterError, match="already carries adapters"):
        attach_adapters(policy, AdapterSettings(**LORA))
    saved = save_adapter(policy, processor, tmp_path / "adapter")
    with pytest.raises(AdapterError, match=r"r: saved 8, configured 16.*train_vision: saved False"):
        other = AdapterSettings(method="lora", r=16, alpha=16, train_vision=True)
        attach_adapters(_fresh().model, other, saved)
    with pytest.raises(ModelLoadError, match=r"no adapter_config\.json"):
        attach_adapters(_fresh().model, AdapterSettings(**LORA), tmp_path / "missing")
    with pytest.raises(AdapterError, match="adapter, not a model"):
        load_for_inference(saved)
    with pytest.raises(AdapterError, match="quantization='nf4'"):
        attach_adapters(_fresh().model, AdapterSettings(method="qlora"))
    with pytest.raises(AdapterError, match="loads no adapter"):
        attach_adapters(_fresh().model, AdapterSettings(method="none"), saved)


@pytest.mark.slow
def test_full_fine_tune_trains_everything_and_saves_a_loadable_model(tmp_path: Path) -> None:
    frozen_tower = attach_adapters(_fresh().model, AdapterSettings(method="none", train_vision=False))
    assert {name for name, p in frozen_tower.named_parameters() if not p.requires_grad} == {
        name for name, _ in frozen_tower.named_parameters() if _is_vision(name)
    }

    model, processor = _fresh("glm4v")[:2]
    batch = _batch(processor)
    start_logits = _logits(model, batch)
    policy = attach_adapters(model, AdapterSettings(method="none"), reference=True)
    assert policy is model and all(p.requires_grad for p in policy.parameters())
    before = _snapshot(policy)
    _train(policy, batch)
    assert _changed(policy, before) == set(before)  # vision included
    policy.train()
    trained = _snapshot(policy)
    with torch.no_grad(), reference_model(policy):  # the starting weights, swapped in and out
        torch.testing.assert_close(policy(**batch).logits, start_logits, rtol=0, atol=0)
    assert policy.training and not _changed(policy, trained)
    assert not torch.equal(_logits(policy, batch), start_logits)

    saved = save_adapter(policy, processor, tmp_path / "model")
    loaded = load_pretrained(str(saved), family="glm4v", dtype="float32")
    torch.testing.assert_close(_logits(loaded.model, batch), _logits(policy, batch), rtol=1e-5, atol=1e-5)
    image = Image.new("RGB", (90, 120), "#0f172a")
    original, reloaded = (encode_sft(p, image, TARGETS[0]) for p in (processor, loaded.processor))
    assert all(torch.equal(original[key], reloaded[key]) for key in original)
    assert type(AutoProcessor.from_pretrained(str(saved))) is type(processor)


def _grads(model: torch.nn.Module, batch: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    model.train()
    model(**batch).loss.backward()
    grads = {name: p.grad.clone() for name, p in model.named_parameters() if p.grad is not None}
    model.zero_grad()
    return grads


@pytest.mark.slow
def test_qlora_on_cpu_trains_the_adapter_not_the_4bit_base(tmp_path: Path) -> None:
    tiny = _fresh("qwen3vl")
    tiny.model.save_pretrained(tmp_path / "base")
    tiny.processor.save_pretrained(tmp_path / "base")
    model, processor = load_pretrained(str(tmp_path / "base"), quantization="nf4", dtype="float32")[:2]
    assert any(type(m).__name__ == "Linear4bit" for m in model.modules())
    with pytest.raises(AdapterError, match="only peft method 'qlora'"):
        attach_adapters(model, AdapterSettings(**LORA))
    batch = _batch(processor)

    settings = AdapterSettings(method="qlora", r=16, alpha=32, dropout=0.0, gradient_checkpointing=True)
    policy = attach_adapters(model, settings, reference=True)
    assert any(getattr(module, "gradient_checkpointing", False) for module in policy.modules())
    frozen_4bit = {name for name, p in policy.named_parameters() if type(p).__name__ == "Params4bit"}
    trainable = {name for name, p in policy.named_parameters() if p.requires_grad}
    assert frozen_4bit and trainable and all(".lora_" in name for name in trainable)
    start_logits = _logits(policy, batch)  # an eval pass before training, as validation or a rollout makes
    before = _snapshot(policy)
    _train(policy, batch)
    assert _changed(policy, before) == trainable  # the 4-bit base and everything else stay as loaded
    with torch.no_grad(), reference_model(policy):
        torch.testing.assert_close(policy(**batch).logits, start_logits, rtol=0, atol=1e-6)

    trained_logits = _logits(policy, batch)
    saved = save_adapter(policy, processor, tmp_path / "adapter")
    # Saving leaves the live policy as it was. (On a CPU with AVX512-BF16, bitsandbytes repacked the 4-bit
    # weights at the first eval pass and unpacked them lossily at save: logits moved by up to 2.5e-3.)
    torch.testing.assert_close(_logits(policy, batch), trained_logits, rtol=0, atol=0)
    loaded = load_for_inference(str(tmp_path / "base"), saved, quantization="nf4", dtype="float32")
    torch.testing.assert_close(_logits(loaded.model, batch), trained_logits, rtol=1e-5, atol=1e-5)

    # After all those eval passes the policy's gradients are those of the same adapter freshly loaded to
    # train on (there the repacked kernel, which has no backward, dropped the 4-bit layers' gradients).
    base = load_pretrained(str(tmp_path / "base"), quantization="nf4", dtype="float32").model
    resumed = attach_adapters(base, settings, adapter_path=saved)
    expected = _grads(resumed, batch)
    assert set(expected) == trainable
    torch.testing.assert_close(_grads(policy, batch), expected)

"""GRPO on the tiny real-architecture models, in-process: one full step (real renders, the programmatic
reward) moves the adapter and never the reference; the policy climbs an easy reward while a run with
lr 0 stays put; an interrupted run resumes from its checkpoint; the reference holds no second base."""

from __future__ import annotations

import math
import signal
import statistics
from collections.abc import Iterator
from pathlib import Path

import lightning as L
import pytest
import torch
from lightning import Callback, LightningModule, Trainer
from lightning.pytorch.loggers import CSVLogger
from omegaconf import DictConfig, OmegaConf
from training_runs import compose_train, tiny_overrides

from widget2code.data.datamodule import WidgetDataModule
from widget2code.data.tiny_model import build_tiny_from_dataset
from widget2code.inference.generate import Rollout, SamplingConfig, completion_mask, end_token_ids
from widget2code.models.adapters import AdapterSettings, attach_adapters, reference_model, save_adapter
from widget2code.models.factory import LoadedModel, ModelLoadError, check_adapter_path
from widget2code.render import Renderer
from widget2code.rewards.base import Reward, RewardOutput
from widget2code.rewards.programmatic import ProgrammaticReward
from widget2code.task import format_completion
from widget2code.training import grpo
from widget2code.training.grpo import GRPOModule, GRPOSettings, vision_token_ids
from widget2code.training.logprobs import completion_logprobs
from widget2code.training.optim import OptimizerSettings
from widget2code.training.run import train

IMAGE_SIZE = 56  # 4 image tokens: the prompt is mostly the instructions
LORA = AdapterSettings(method="lora", r=8, alpha=16, dropout=0.0,
                       target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_up_proj", "down_proj"])


@pytest.fixture(autouse=True, scope="module")
def one_thread() -> Iterator[None]:
    """Generation is hundreds of tiny ops: on a shared 2-core machine two intra-op threads wait on each
    other at every op (a rollout took 20× longer than with one); one thread is as fast when idle."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def restore_sigint() -> Iterator[None]:
    """Lightning ignores SIGINT after it handled a KeyboardInterrupt; give pytest its handler back."""
    previous = signal.getsignal(signal.SIGINT)
    yield
    signal.signal(signal.SIGINT, previous)


def tiny(dataset: Path, family: str = "glm4v") -> LoadedModel:
    return build_tiny_from_dataset(family, dataset, preset="tiny", image_size=IMAGE_SIZE)  # type: ignore[arg-type]


def grpo_data(dataset: Path, processor: object, batch_size: int = 2) -> WidgetDataModule:
    return WidgetDataModule(dataset, processor, mode="grpo", batch_size=batch_size, image_size=IMAGE_SIZE, seed=0)


class MetricsEachStep(Callback):
    """Every metric the module logged, after every training batch (a rollout and its updates)."""

    def __init__(self) -> None:
        self.steps: list[dict[str, float]] = []

    def on_train_batch_end(self, trainer: Trainer, pl_module: LightningModule, outputs: object, batch: object,
                           batch_idx: int) -> None:
        self.steps.append({name: float(value) for name, value in trainer.callback_metrics.items()})


def trainer(steps: int, *callbacks: Callback, **kwargs: object) -> Trainer:
    options: dict[str, object] = dict(
        accelerator="cpu", devices=1, max_steps=steps, max_epochs=-1, logger=False, enable_checkpointing=False,
        enable_progress_bar=False, enable_model_summary=False, limit_val_batches=0, num_sanity_val_steps=0,
        gradient_clip_val=None)
    return Trainer(**(options | kwargs), callbacks=list(callbacks))


# ---- one full step: scripted completions (a random tiny model never writes renderable code), real renders

def widget(colour: str) -> str:
    return f'export default function Card() {{\n  return <div className="w-40 h-24 rounded bg-[{colour}]" />;\n}}'


#: A group: two renderable widgets in different colours, one that does not compile, one without code.
SCRIPT = [format_completion("A red card.", widget("#ef4444")), format_completion("A blue card.", widget("#3b82f6")),
          format_completion("Broken.", "export default function {"), "no code at all"]


class ScriptedPolicy:
    """The generation seam answering with SCRIPT, tokenized by the model's own tokenizer and laid out as
    `generate_rollout` lays out sampled completions, so every later pass is the real one."""

    def __init__(self) -> None:
        self.rollouts: list[tuple[dict[str, torch.Tensor], Rollout]] = []

    def __call__(self, model: torch.nn.Module, processor: object, inputs: dict[str, torch.Tensor],
                 sampling: SamplingConfig) -> Rollout:
        tokenizer = processor.tokenizer  # type: ignore[attr-defined]
        end = end_token_ids(model, processor)  # type: ignore[arg-type]
        group = sampling.num_return_sequences
        rows = [row for row in range(inputs["input_ids"].shape[0]) for _ in range(group)]
        encoded = [tokenizer(SCRIPT[i % group], add_special_tokens=False)["input_ids"] + [end[0]]
                   for i in range(len(rows))]
        width = max(map(len, encoded))
        ids = torch.tensor([e + [end[0]] * (width - len(e)) for e in encoded])
        mask, truncated = completion_mask(ids, end)
        kept = [row[:n] for row, n in zip(ids, mask.sum(dim=1).tolist(), strict=True)]
        prompts = inputs["input_ids"][torch.tensor(rows)]
        rollout = Rollout(sequences=torch.cat([prompts, ids], dim=1), prompt_length=prompts.shape[1],
                          completion_ids=ids, completion_mask=mask,
                          texts=tokenizer.batch_decode(kept, skip_special_tokens=True), truncated=truncated,
                          prompt_index=rows)
        self.rollouts.append((inputs, rollout))
        return rollout


@torch.no_grad()
def logprobs_of(model: torch.nn.Module, inputs: dict[str, torch.Tensor], rollout: Rollout) -> torch.Tensor:
    prompts = grpo.repeat_rows(inputs, rollout.prompt_index)
    return completion_logprobs(model, prompts, rollout.completion_ids, rollout.completion_mask)


@pytest.mark.slow
@pytest.mark.browser
def test_one_grpo_step_moves_the_adapter_not_the_reference_and_logs_finite_metrics(
    widget_dataset: Path, renderer: Renderer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    L.seed_everything(0)
    loaded = tiny(widget_dataset)
    policy = attach_adapters(loaded.model, LORA, reference=True)
    policy_before = {name: p.detach().clone() for name, p in policy.named_parameters() if p.requires_grad}
    script = ScriptedPolicy()
    monkeypatch.setattr(grpo, "generate_rollout", script)
    reward = ProgrammaticReward(weights={"ssim": 0.2, "palette": 0.3, "contrast": 0.2, "polarity": 0.1,
                                         "layout": 0.2, "lpips": 0.0})
    # G 4 over 2 prompts = 8 rows in mini-batches of 4, accumulated in pairs: one optimizer step per
    # pass, μ = 2 passes (the second one off-policy, so the ratio and its clipping are live), β > 0.
    settings = GRPOSettings(group_size=4, max_new_tokens=64, num_iterations=2, mini_batch_size=4,
                            gradient_accumulation=2, beta=0.1, sample_table_every_n_steps=1)
    module = GRPOModule(policy, loaded.processor, reward, renderer, settings,
                        OptimizerSettings(lr=1e-2, warmup=0, min_lr_ratio=1.0), run_dir=str(tmp_path))
    metrics = MetricsEachStep()
    data = grpo_data(widget_dataset, loaded.processor)
    data.setup("fit")
    inputs = next(iter(data.train_dataloader()))["inputs"]
    rollout = script(policy, loaded.processor, inputs, SamplingConfig(num_return_sequences=4))
    with reference_model(policy):
        reference_before = logprobs_of(policy, inputs, rollout)
    policy_logps_before = logprobs_of(policy, inputs, rollout)

    run = trainer(2, metrics, logger=CSVLogger(tmp_path), limit_val_batches=1, val_check_interval=1)
    run.fit(module, datamodule=data)

    assert run.global_step == 2 and len(metrics.steps) == 1
    changed = {name for name, p in policy.named_parameters() if name in policy_before
               and not torch.equal(p, policy_before[name])}
    assert changed == set(policy_before)  # every LoRA matrix moved (and only they train)
    with reference_model(policy):
        assert torch.equal(logprobs_of(policy, inputs, rollout), reference_before)
    assert not torch.allclose(logprobs_of(policy, inputs, rollout), policy_logps_before)

    logged = metrics.steps[0] | {name: float(value) for name, value in run.callback_metrics.items()}
    assert all(math.isfinite(value) for value in logged.values()), logged
    # the renders were real: the two widgets rendered, the broken code and the missing code did not
    assert logged["train/render_rate"] == pytest.approx(0.5)
    assert logged["train/errors/syntax"] == pytest.approx(0.25)
    assert logged["train/errors/invalid_input"] == pytest.approx(0.25)
    assert logged["train/advantages/zero_std_fraction"] == 0.0 and logged["train/kl"] > 0.0
    assert {"train/reward/palette", "time/rendering_s", "time/policy_update_s", "val/reward"} <= set(logged)
    assert list((tmp_path / "samples").glob("samples-train-step*/index.html"))  # the sample table


def test_module_suppresses_image_placeholder_tokens(widget_dataset: Path) -> None:
    """A placeholder token in a completion would claim image features in the log-prob pass (the first
    grpo_tiny run failed so: "Image features and image tokens do not match")."""
    for family in ("glm4v", "qwen3vl"):
        loaded = tiny(widget_dataset, family)
        placeholders = vision_token_ids(loaded.model.config)
        assert loaded.model.config.image_token_id in placeholders and len(placeholders) >= 4
        GRPOModule(loaded.model, loaded.processor, ProgrammaticReward(), Renderer())  # not started
        assert set(placeholders) <= set(loaded.model.generation_config.suppress_tokens)


# ---- GRPO optimises its reward

class CharacterShare(Reward):
    """The share of a completion's characters that are `character`: a reward the policy can move fast."""

    name = "share"

    def __init__(self, character: str = "e") -> None:
        self.character = character

    def score(self, references: object, candidates: object, **context: object) -> RewardOutput:
        texts = context["completions"]
        assert isinstance(texts, list)
        shares = [text.count(self.character) / max(len(text), 1) for text in texts]
        return RewardOutput(shares, {"share": shares})


def reward_curve(dataset: Path, renderer: Renderer, lr: float, steps: int) -> list[float]:
    """Mean reward of each of `steps` seeded rollouts (2 prompts × G 8, 8 new tokens, one update each)."""
    L.seed_everything(0)
    loaded = tiny(dataset)
    # A full fine-tune: LoRA cannot move the near-uniform next-token distribution of a random tiny model
    # (the head's rows are tiny and frozen); the tiny models train every parameter anyway.
    policy = attach_adapters(loaded.model, AdapterSettings(method="none"), reference=True)
    settings = GRPOSettings(group_size=8, max_new_tokens=8, num_iterations=1, mini_batch_size=16, beta=0.04,
                            sample_table_every_n_steps=10**6)
    module = GRPOModule(policy, loaded.processor, CharacterShare(), renderer, settings,
                        OptimizerSettings(lr=lr, warmup=0, min_lr_ratio=1.0))
    metrics = MetricsEachStep()
    trainer(steps, metrics).fit(module, datamodule=grpo_data(dataset, loaded.processor))
    return [step["train/reward"] for step in metrics.steps]


@pytest.mark.slow
@pytest.mark.browser
def test_grpo_raises_its_reward_and_lr_zero_does_not(widget_dataset: Path, renderer: Renderer) -> None:
    steps, window = 16, 4
    trained = reward_curve(widget_dataset, renderer, lr=2e-2, steps=steps)
    control = reward_curve(widget_dataset, renderer, lr=0.0, steps=steps)
    assert len(trained) == len(control) == steps
    # The control samples one fixed policy: the spread of its step means is the noise of a step mean.
    noise = statistics.stdev(control)
    gain = statistics.mean(trained[-window:]) - statistics.mean(trained[:window])
    drift = statistics.mean(control[-window:]) - statistics.mean(control[:window])
    assert gain > max(0.1, 10 * noise), (trained, control)
    assert abs(drift) < max(0.05, 3 * noise), control
    assert statistics.mean(trained[-window:]) > max(control) + 0.05


# ---- interrupt and resume

class TrainableAtStart(Callback):
    """Saves the step and the trainable parameters as training (re)starts, after a checkpoint was
    restored, and the step it ends at."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.saved: dict[str, object] = {}

    def on_train_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self.saved = {"start": trainer.global_step, "trainable": {
            f"model.{name}": p.detach().clone() for name, p in pl_module.model.named_parameters() if p.requires_grad}}

    def on_train_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        torch.save(self.saved | {"end": trainer.global_step}, self.path)


def grpo_run(dataset: Path, run_dir: Path, steps: int, *overrides: str) -> DictConfig:
    """experiment=grpo_tiny made tinier: 2 prompts × G 4, 8 new tokens, one optimizer step per rollout,
    scored by the character-share reward (rows differ, so every step moves the adapter)."""
    cfg = compose_train([
        "experiment=grpo_tiny", *tiny_overrides(dataset, steps=steps), f"data.image_size={IMAGE_SIZE}",
        "module.grpo.group_size=4", "module.grpo.max_new_tokens=8", "module.grpo.num_iterations=1",
        "module.grpo.mini_batch_size=8", "module.grpo.sample_table_every_n_steps=1000",
        "callbacks=on_exception_checkpoint", "logger=csv", "trainer.limit_val_batches=0", "trainer.max_epochs=-1",
        f"paths.output_dir={run_dir}", *overrides])
    cfg.reward = OmegaConf.create({"_target_": "test_grpo.CharacterShare"})  # what module.reward interpolates
    return cfg


@pytest.mark.slow
@pytest.mark.browser
def test_interrupted_grpo_resumes_from_its_checkpoint(widget_dataset: Path, tmp_path: Path,
                                                      restore_sigint: None) -> None:
    steps, interrupt_at = 3, 2
    with pytest.raises(SystemExit):  # Lightning saves on_exception.ckpt, then exits
        train(grpo_run(widget_dataset, tmp_path / "cut", steps, "+callbacks.interrupt._target_=training_runs.InterruptAt",
                       f"+callbacks.interrupt.step={interrupt_at}"))
    saved = tmp_path / "cut" / "checkpoints" / "on_exception.ckpt"
    checkpoint = torch.load(saved, weights_only=False)
    assert checkpoint["global_step"] == interrupt_at

    at_start = tmp_path / "at_start.pt"
    metrics = train(grpo_run(widget_dataset, tmp_path / "resumed", steps, f"ckpt_path={saved}",
                             "+callbacks.at_start._target_=test_grpo.TrainableAtStart",
                             f"+callbacks.at_start.path={at_start}"))
    resumed = torch.load(at_start)
    assert (resumed["start"], resumed["end"]) == (interrupt_at, steps)
    restored = resumed["trainable"]
    assert set(restored) == set(checkpoint["state_dict"]) and any(".lora_B." in name for name in restored)
    for name, value in restored.items():
        assert torch.equal(value, checkpoint["state_dict"][name]), name
    # the interrupted run had moved the adapter: equal states are the checkpoint's, not the initial ones
    assert any(torch.count_nonzero(value) for name, value in restored.items() if ".lora_B." in name)
    assert math.isfinite(metrics["train/reward"])


# ---- one base in memory

def base_tensors(model: torch.nn.Module) -> dict[int, int]:
    """Storage address -> elements of every parameter that is not an adapter's."""
    return {p.data_ptr(): p.numel() for name, p in model.named_parameters()
            if ".lora_" not in name and "modules_to_save" not in name}


@pytest.mark.parametrize("start", ["cold", "from_adapter"])
def test_policy_and_reference_share_one_base(widget_dataset: Path, tmp_path: Path, start: str) -> None:
    loaded = tiny(widget_dataset)
    base = {p.data_ptr(): p.numel() for p in loaded.model.parameters()}
    adapter = None
    if start == "from_adapter":  # an SFT adapter to start from: loaded twice, trainable and frozen
        adapter = save_adapter(attach_adapters(tiny(widget_dataset).model, LORA), loaded.processor,
                               tmp_path / "adapter")
    policy = attach_adapters(loaded.model, LORA, adapter_path=adapter, reference=True)
    parameters = dict(policy.named_parameters())
    assert base_tensors(policy) == base  # the very tensors that were loaded, none copied
    with reference_model(policy):
        assert base_tensors(policy) == base
    adapter_elements = sum(p.numel() for name, p in parameters.items() if ".lora_" in name)
    trainable = sum(p.numel() for p in parameters.values() if p.requires_grad)
    assert sum(p.numel() for p in parameters.values()) == sum(base.values()) + adapter_elements
    # what the reference adds is one more adapter (from an SFT adapter), never a base
    assert adapter_elements == trainable * (2 if start == "from_adapter" else 1)


def test_grpo_glm_without_an_sft_adapter_says_so_before_loading_anything() -> None:
    cfg = compose_train(["experiment=grpo_glm", "paths.output_dir=unused"])
    with pytest.raises(ModelLoadError, match=r"required: set model\.adapter_path="):
        check_adapter_path(cfg.model.adapter_path)  # what load_pretrained checks first
    assert compose_train(["experiment=grpo_glm", "model.adapter_path=/sft/adapter",
                          "paths.output_dir=unused"]).model.adapter_path == "/sft/adapter"

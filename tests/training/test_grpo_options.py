"""GRPO's options and review fixes, each on a real tiny model (scripted completions where the rewards must
differ): dynamic sampling, truncated completions out of the loss, dropout off, the sampling policy's
log-probs whenever a rollout gives several optimizer steps, exact max_steps, pipelined rollouts,
validation with the reward's absolute part, and a placebo run's shuffled rewards."""

from __future__ import annotations

from pathlib import Path

import lightning as L
import pytest
import torch
from test_grpo import LORA, CharacterShare, MetricsEachStep, ScriptedPolicy, grpo_data, tiny, trainer

from widget2code.models.adapters import AdapterSettings, attach_adapters
from widget2code.render import Renderer
from widget2code.rewards.base import Reward, RewardOutput
from widget2code.rewards.composite import CompositeReward
from widget2code.training import grpo
from widget2code.training.advantages import group_advantages
from widget2code.training.experience import DynamicSampling, Experience, groups_with_signal
from widget2code.training.grpo import GRPOConfigError, GRPOModule, GRPOSettings
from widget2code.training.optim import OptimizerSettings


def experience(n: int, tag: float = 0.0) -> Experience:
    """n rows whose advantages carry their row number (plus `tag`), so a selection can be read back."""
    ids = torch.arange(n * 3).view(n, 3)
    return Experience({"input_ids": ids, "attention_mask": torch.ones_like(ids)}, ids, torch.ones_like(ids),
                      torch.arange(n, dtype=torch.float32) + tag, None, None)


def test_groups_with_signal_are_those_whose_rewards_differ() -> None:
    rewards = torch.tensor([0.5, 0.5, 0.5, 0.1, 0.9, 0.9, 0.0, 0.0])
    assert groups_with_signal(rewards, 2) == [1]  # (.5 .5) (.5 .1) (.9 .9) (0 0)
    assert groups_with_signal(rewards, 4) == [0, 1]


def test_dynamic_sampling_buffers_until_a_batch_of_groups_then_drops_the_surplus() -> None:
    buffer = DynamicSampling(batch_groups=3, group_size=2, max_generation_rounds=5)
    buffer.add(experience(6), torch.tensor([1.0, 1.0, 0.2, 0.4, 0.0, 0.0]))  # only group 1 has signal
    assert (buffer.groups(), buffer.ready()) == (1, False)
    buffer.add(experience(6, tag=10), torch.tensor([0.1, 0.2, 0.3, 0.5, 0.9, 0.1]))  # all three
    assert buffer.ready()
    taken, stats = buffer.take()
    assert [e.advantages.tolist() for e in taken] == [[2.0, 3.0], [10.0, 11.0, 12.0, 13.0]]
    assert stats == {"dynamic_sampling/generation_rounds": 2.0, "dynamic_sampling/dropped_groups": 2.0,
                     "dynamic_sampling/groups": 3.0}
    assert buffer.groups() == 0 and buffer.take()[1]["dynamic_sampling/generation_rounds"] == 0.0


def test_dynamic_sampling_gives_up_after_its_rounds_with_what_it_has() -> None:
    buffer = DynamicSampling(batch_groups=4, group_size=2, max_generation_rounds=2)
    for _ in range(2):
        buffer.add(experience(4), torch.tensor([0.3, 0.3, 0.1, 0.2]))
    assert buffer.ready() and buffer.take()[1]["dynamic_sampling/groups"] == 2.0


def module(dataset: Path, renderer: Renderer, settings: GRPOSettings, reward: Reward | None = None,
           adapters: AdapterSettings = LORA, lr: float = 1e-2) -> GRPOModule:
    L.seed_everything(0)
    loaded = tiny(dataset)
    policy = attach_adapters(loaded.model, adapters, reference=True)
    return GRPOModule(policy, loaded.processor, reward or CharacterShare(), renderer, settings,
                      OptimizerSettings(lr=lr, warmup=0, min_lr_ratio=1.0))


def record_updates(grpo_module: GRPOModule, monkeypatch: pytest.MonkeyPatch) -> list[list[Experience]]:
    """The experiences each policy update is given, in order (the update itself still runs)."""
    updates: list[list[Experience]] = []
    optimise = grpo_module._optimise
    monkeypatch.setattr(grpo_module, "_optimise", lambda experiences: updates.append(list(experiences))
                        or optimise(experiences))
    return updates


def fit(dataset: Path, grpo_module: GRPOModule, steps: int, **kwargs: object) -> tuple[L.Trainer, MetricsEachStep]:
    metrics = MetricsEachStep()
    run = trainer(steps, metrics, **kwargs)
    run.fit(grpo_module, datamodule=grpo_data(dataset, grpo_module.processor))
    return run, metrics


@pytest.mark.slow
@pytest.mark.browser
def test_several_steps_per_rollout_use_the_sampling_policys_logprobs_and_max_steps_is_exact(
        widget_dataset: Path, renderer: Renderer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(grpo, "generate_rollout", ScriptedPolicy())
    # μ = 1, but 8 rows in mini-batches of 4 without accumulation: two optimizer steps per rollout, so the
    # second mini-batch meets a policy that has moved: its ratio must not be 1
    settings = GRPOSettings(group_size=4, max_new_tokens=64, num_iterations=1, mini_batch_size=4, beta=0.0,
                            sample_table_every_n_steps=10**6)
    grpo_module = module(widget_dataset, renderer, settings)
    run, metrics = fit(widget_dataset, grpo_module, steps=3)
    assert grpo_module.optimizer_steps_per_batch() == 2 and grpo_module.needs_old_logps()
    assert run.global_step == 3  # not 4: max_steps stops inside the second rollout
    first = metrics.steps[0]
    assert first["train/ratio/max"] > 1.0 or first["train/ratio/min"] < 1.0


@pytest.mark.slow
@pytest.mark.browser
def test_dropout_is_off_so_the_first_pass_is_on_policy(widget_dataset: Path, renderer: Renderer,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(grpo, "generate_rollout", ScriptedPolicy())
    dropout = AdapterSettings(method="lora", r=8, alpha=16, dropout=0.5, target_modules=LORA.target_modules)
    for disable, on_policy in ((True, True), (False, False)):
        settings = GRPOSettings(group_size=4, max_new_tokens=64, num_iterations=2, mini_batch_size=8, beta=0.0,
                                disable_dropout=disable, sample_table_every_n_steps=10**6)
        grpo_module = module(widget_dataset, renderer, settings, adapters=dropout, lr=0.0)
        with torch.no_grad():  # LoRA starts with B = 0, where dropout on its input changes nothing
            for name, parameter in grpo_module.model.named_parameters():
                if ".lora_B." in name:
                    parameter.normal_(0.0, 0.5)
        _, metrics = fit(widget_dataset, grpo_module, steps=2)
        step = metrics.steps[0]
        # lr 0: the policy never moves, so a ratio to the sampling policy's log-probs != 1 is dropout's noise
        assert (step["train/ratio/max"] == step["train/ratio/min"] == 1.0) is on_policy


@pytest.mark.slow
@pytest.mark.browser
def test_truncated_completions_leave_the_loss_when_masked(widget_dataset: Path, renderer: Renderer,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    script = ScriptedPolicy()
    monkeypatch.setattr(grpo, "generate_rollout", script)
    settings = GRPOSettings(group_size=4, max_new_tokens=64, num_iterations=1, mini_batch_size=8, beta=0.0,
                            mask_truncated_completions=True, sample_table_every_n_steps=10**6)
    grpo_module = module(widget_dataset, renderer, settings)
    updates = record_updates(grpo_module, monkeypatch)
    truncate = script.__call__

    def truncated_rows(*args: object) -> object:  # rows 1 and 2 of each group ran out of tokens
        rollout = truncate(*args)
        rollout.truncated = torch.tensor([i % 4 in (1, 2) for i in range(len(rollout.texts))])
        return rollout

    monkeypatch.setattr(grpo, "generate_rollout", truncated_rows)
    fit(widget_dataset, grpo_module, steps=1)
    mask = updates[0][0].loss_mask
    assert [bool(row.any()) for row in mask] == [i % 4 not in (1, 2) for i in range(8)]


@pytest.mark.slow
@pytest.mark.browser
def test_a_placebo_run_hands_each_group_its_own_advantages_in_a_shuffled_order(
        widget_dataset: Path, renderer: Renderer, monkeypatch: pytest.MonkeyPatch) -> None:
    script = ScriptedPolicy()  # four different completions per group: four different rewards
    monkeypatch.setattr(grpo, "generate_rollout", script)
    settings = GRPOSettings(group_size=4, max_new_tokens=64, num_iterations=1, mini_batch_size=8, beta=0.0,
                            placebo_rewards=True, sample_table_every_n_steps=10**6)
    grpo_module = module(widget_dataset, renderer, settings)
    updates = record_updates(grpo_module, monkeypatch)
    fit(widget_dataset, grpo_module, steps=3)
    moved = 0
    for (_, rollout), update in zip(script.rollouts, updates, strict=True):
        real = group_advantages(CharacterShare().score(None, None, completions=rollout.texts).total, 4)
        given = update[0].advantages.cpu()
        for group in range(len(real) // 4):
            rows = slice(4 * group, 4 * group + 4)
            assert sorted(given[rows].tolist()) == pytest.approx(sorted(real[rows].tolist()), abs=1e-6)
            moved += not torch.allclose(given[rows], real[rows])
    assert moved > 0  # some completion got another's advantage


@pytest.mark.slow
@pytest.mark.browser
def test_pipelined_rollouts_learn_from_the_previous_rollout(widget_dataset: Path, renderer: Renderer,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    script = ScriptedPolicy()
    monkeypatch.setattr(grpo, "generate_rollout", script)
    settings = GRPOSettings(group_size=4, max_new_tokens=64, num_iterations=1, mini_batch_size=8, beta=0.0,
                            async_rollouts=True, sample_table_every_n_steps=10**6)
    grpo_module = module(widget_dataset, renderer, settings)
    assert grpo_module.settings.async_rollouts
    updates = record_updates(grpo_module, monkeypatch)
    run, metrics = fit(widget_dataset, grpo_module, steps=2)
    # three rollouts for two updates: the first batch only generates; each update learns from the
    # rollout before its own, with the sampling policy's log-probs (one step off-policy)
    assert len(script.rollouts) == 3 and run.global_step == 2 and len(updates) == 2
    assert torch.equal(updates[1][0].completion_ids, script.rollouts[1][1].completion_ids)
    assert "train/ratio/max" in metrics.steps[-1] and grpo_module.needs_old_logps()
    assert metrics.steps[-1]["train/rollouts"] == 2.0  # the rollout learned from, not the one generated


class FirstGroupFlat(Reward):
    """The character share, except that every first group of a rollout (of 2) scores 0.5 throughout."""

    name = "flat_first"

    def score(self, references: object, candidates: object, **context: object) -> RewardOutput:
        texts, size = context["completions"], int(context["group_size"])
        shares = CharacterShare().score(references, candidates, completions=texts).total
        scores = [0.5 if (i // size) % 2 == 0 else share for i, share in enumerate(shares)]
        return RewardOutput(scores, {"flat_first": scores})


@pytest.mark.slow
@pytest.mark.browser
def test_dynamic_sampling_updates_once_a_batch_of_groups_has_signal(
        widget_dataset: Path, renderer: Renderer, monkeypatch: pytest.MonkeyPatch) -> None:
    script = ScriptedPolicy()
    monkeypatch.setattr(grpo, "generate_rollout", script)
    settings = GRPOSettings(group_size=4, max_new_tokens=64, num_iterations=1, mini_batch_size=8, beta=0.0,
                            dynamic_sampling=True, sample_table_every_n_steps=10**6)
    grpo_module = module(widget_dataset, renderer, settings, reward=FirstGroupFlat())
    updates = record_updates(grpo_module, monkeypatch)
    run, metrics = fit(widget_dataset, grpo_module, steps=2)
    # each rollout of 2 prompts keeps 1 group: an update (of 2 groups, 8 rows) every second rollout
    rows = [sum(len(e) for e in experiences) for experiences in updates]
    assert (len(script.rollouts), rows, run.global_step) == (4, [8, 8], 2), metrics.steps
    last = metrics.steps[-1]
    assert last["train/dynamic_sampling/generation_rounds"] == 2.0
    assert last["train/dynamic_sampling/dropped_groups"] == 2.0


class RankInGroup(Reward):
    """A group-relative reward: 1 for the group's longest completion, else 0."""

    name = "rank"
    group_relative = True

    def score(self, references: object, candidates: object, **context: object) -> RewardOutput:
        texts = context["completions"]
        size = int(context.get("group_size") or 1)
        best = [max(texts[i - i % size:i - i % size + size], key=len) for i in range(len(texts))]
        scores = [float(t == b) for t, b in zip(texts, best, strict=True)]
        return RewardOutput(scores, {"rank": scores})


def test_validation_scores_with_the_rewards_absolute_part(widget_dataset: Path, renderer: Renderer) -> None:
    share = CharacterShare()
    composite = CompositeReward({"share": {"reward": share, "weight": 0.4},
                                 "rank": {"reward": RankInGroup(), "weight": 0.6}})
    grpo_module = module(widget_dataset, renderer, GRPOSettings(group_size=2), reward=composite)
    absolute = grpo_module.validation_reward
    assert absolute is not None and not absolute.group_relative
    texts = ["eee", "abc"]
    # alone (a group of one), the rank part would give each candidate 1.0; the absolute part does not
    assert absolute.score([None, None], [None, None], completions=texts).total == pytest.approx([1.0, 0.0])
    with pytest.raises(GRPOConfigError, match="absolute part"):
        module(widget_dataset, renderer, GRPOSettings(group_size=2), reward=RankInGroup())


def test_bad_options_are_typed_errors() -> None:
    with pytest.raises(GRPOConfigError, match="loss_type"):
        GRPOSettings(loss_type="cispo")
    with pytest.raises(GRPOConfigError, match="importance_sampling_level"):
        GRPOSettings(importance_sampling_level="sentence")
    with pytest.raises(GRPOConfigError, match="max_generation_rounds"):
        GRPOSettings(max_generation_rounds=0)
    with pytest.raises(GRPOConfigError, match="top_entropy_quantile"):
        GRPOSettings(top_entropy_quantile=1.5)
    with pytest.raises(GRPOConfigError, match="placebo_rewards must be true or false, got 'maybe'"):
        GRPOSettings(placebo_rewards="maybe")  # type: ignore[arg-type]  # what Hydra hands over for key=maybe
    assert GRPOSettings(placebo_rewards=True, disable_dropout=False).placebo_rewards

"""Group-relative advantages: TRL's definitions, checked against values worked out by hand."""

from __future__ import annotations

import math

import pytest
import torch

from widget2code.training.advantages import (
    AdvantageError,
    advantages_with_stats,
    group_advantages,
    shuffled_within_groups,
)

EPS = 1e-4
NAN = float("nan")
# Three groups of G = 3: spread 1 (sample std 1), spread around 1 (std sqrt(3)), constant.
REWARDS = torch.tensor([1.0, 2.0, 3.0, 0.0, 0.0, 3.0, 5.0, 5.0, 5.0], dtype=torch.float64)


def close(actual: torch.Tensor, expected: list[float]) -> None:
    torch.testing.assert_close(actual, torch.tensor(expected, dtype=actual.dtype), rtol=0, atol=1e-9)


def test_group_scaling_is_trl_sample_std_plus_eps() -> None:
    a, b = 1 / (1 + EPS), 1 / (math.sqrt(3) + EPS)  # group means 2 and 1; sample stds 1 and sqrt(3)
    advantages, stats = advantages_with_stats(REWARDS, 3)
    close(advantages, [-a, 0, a, -b, -b, 2 * b, 0, 0, 0])
    assert stats.zero_std_fraction == pytest.approx(1 / 3) and stats.missing_fraction == 0
    assert stats.mean == pytest.approx(float(advantages.mean())) and stats.max == pytest.approx(2 * b)
    assert stats.min == pytest.approx(-a) and stats.std == pytest.approx(float(advantages.std()))
    assert stats.as_dict()["advantages/zero_std_fraction"] == pytest.approx(1 / 3)


def test_batch_scaling_uses_the_global_std_but_the_group_mean() -> None:
    # mean 8/3; squared deviations * 9 = 25 + 4 + 1 + 64 + 64 + 1 + 49 * 3 = 306 -> variance 306 / 9 / 8 = 4.25
    s = 1 / (math.sqrt(4.25) + EPS)
    close(group_advantages(REWARDS, 3, scale_rewards="batch"), [-s, 0, s, -s, -s, 2 * s, 0, 0, 0])


def test_no_scaling_only_centres_on_the_group_mean() -> None:
    close(group_advantages(REWARDS, 3, scale_rewards="none"), [-1, 0, 1, -1, -1, 2, 0, 0, 0])


def test_a_missing_reward_gets_zero_and_is_left_out_of_its_group() -> None:
    rewards = torch.tensor([1.0, NAN, 3.0, NAN, 4.0, NAN, NAN, NAN, NAN], dtype=torch.float64)
    advantages, stats = advantages_with_stats(rewards, 3)
    a = 1 / (math.sqrt(2) + EPS)  # 1 and 3: mean 2, sample std sqrt(2)
    close(advantages, [-a, 0, a, 0, 0, 0, 0, 0, 0])  # a lone reward and an empty group carry no signal
    assert stats.zero_std_fraction == pytest.approx(2 / 3) and stats.missing_fraction == pytest.approx(6 / 9)


def test_constant_groups_give_exactly_zero_even_in_float32() -> None:
    rewards = torch.tensor([0.1, 0.1, 0.1, 0.3, 0.7, 0.2], dtype=torch.float32)
    for scale in ("group", "batch", "none"):
        advantages = group_advantages(rewards, 3, scale_rewards=scale)
        assert advantages.dtype == torch.float32 and advantages[:3].tolist() == [0.0, 0.0, 0.0]
    assert group_advantages([2, 2, 2, 2], 2).tolist() == [0, 0, 0, 0]  # plain lists of ints work too


def test_components_are_weighted_and_summed_first_missing_ones_skipped() -> None:
    rewards = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [1.0, NAN]], dtype=torch.float64)
    # totals with weights (2, 1): 2, 1, 3 | 2 (the missing component is skipped, TRL's nansum)
    a = 1 / (1 + EPS)
    close(group_advantages(rewards[:3], 3, weights=[2.0, 1.0]), [0, -a, a])
    close(group_advantages(rewards[[0, 1, 2, 3, 0, 3]], 3, weights=[2.0, 1.0], scale_rewards="none"),
          [0, -1, 1, 0, 0, 0])


def test_normalize_then_sum_z_scores_each_component_then_normalises_over_the_batch() -> None:
    rewards = torch.tensor([
        [1.0, 5.0], [3.0, 5.0],  # component 0 spreads (mean 2, std sqrt 2), component 1 is constant
        [0.0, 1.0], [0.0, 2.0],  # component 0 constant, component 1 spreads (mean 1.5, std sqrt 0.5)
        [7.0, 1.0], [7.0, 1.0],  # both constant: a zero-variance group
    ], dtype=torch.float64)
    a, b = 1 / (math.sqrt(2) + EPS), 0.5 / (math.sqrt(0.5) + EPS)
    sums = [-a, a, -2 * b, 2 * b, 0, 0]  # weights (1, 2); the batch mean is 0
    std = math.sqrt((2 * a**2 + 8 * b**2) / 5)
    advantages, stats = advantages_with_stats(rewards, 2, weights=[1.0, 2.0], aggregation="normalize_then_sum")
    close(advantages, [s / (std + EPS) for s in sums])
    assert stats.zero_std_fraction == pytest.approx(1 / 3)
    # as in TRL, this mode always normalises over the batch
    same = group_advantages(rewards, 2, weights=[1.0, 2.0], aggregation="normalize_then_sum", scale_rewards="none")
    close(same, advantages.tolist())


def test_matches_trl_formulas_on_random_rewards() -> None:
    g = torch.Generator().manual_seed(0)
    rewards = torch.rand(4 * 5, 3, generator=g, dtype=torch.float64)
    weights = torch.tensor([0.4, 0.6, 1.0], dtype=torch.float64)
    total = (rewards * weights).sum(1)
    mean = total.view(-1, 5).mean(1).repeat_interleave(5)
    group_std = total.view(-1, 5).std(1).repeat_interleave(5)
    close(group_advantages(rewards, 5, weights=weights), ((total - mean) / (group_std + EPS)).tolist())
    close(group_advantages(rewards, 5, weights=weights, scale_rewards="batch"),
          ((total - mean) / (total.std() + EPS)).tolist())
    grouped = rewards.view(-1, 5, 3)
    z = ((grouped - grouped.mean(1, keepdim=True)) / (grouped.std(1, keepdim=True) + EPS)).view(-1, 3)
    summed = (z * weights).sum(1)
    close(group_advantages(rewards, 5, weights=weights, aggregation="normalize_then_sum"),
          ((summed - summed.mean()) / (summed.std() + EPS)).tolist())


@pytest.mark.parametrize(("kwargs", "word"), [
    ({"group_size": 4}, "group_size"),
    ({"group_size": 0}, "group_size"),
    ({"group_size": 3, "scale_rewards": "global"}, "scale_rewards"),
    ({"group_size": 3, "aggregation": "mean"}, "aggregation"),
    ({"group_size": 3, "weights": [1.0, 2.0]}, "weights"),
])  # fmt: skip
def test_bad_options_raise_typed_errors(kwargs, word) -> None:
    with pytest.raises(AdvantageError, match=word):
        group_advantages(REWARDS[:6], **kwargs)


def test_bad_rewards_raise_typed_errors() -> None:
    with pytest.raises(AdvantageError, match="finite"):
        group_advantages([1.0, float("inf")], 2)
    with pytest.raises(AdvantageError, match="shape"):
        group_advantages(torch.zeros(2, 2, 2), 2)
    with pytest.raises(AdvantageError, match="shape"):
        group_advantages([], 1)


def test_a_placebo_shuffles_each_group_in_place_and_keeps_its_values() -> None:
    rewards = torch.tensor([0.1, 0.2, 0.3, 0.4, 1.0, 2.0, 3.0, 4.0, 7.0, 7.0, 9.0, 9.0])
    orders = set()
    for seed in range(20):
        placebo = shuffled_within_groups(rewards, 4, torch.Generator().manual_seed(seed))
        for group in range(3):  # each group keeps its values (so its spread), in its own place
            assert sorted(placebo[4 * group:4 * group + 4].tolist()) == rewards[4 * group:4 * group + 4].tolist()
        orders.add(tuple(placebo.tolist()))
        again = shuffled_within_groups(rewards, 4, torch.Generator().manual_seed(seed))
        assert torch.equal(placebo, again)
    assert len(orders) > 10  # the order is drawn, not fixed
    # the advantages are the real ones, each group's handed to its completions in a random order
    real, shuffled = group_advantages(rewards, 4), group_advantages(placebo, 4)
    assert sorted(shuffled.tolist()) == pytest.approx(sorted(real.tolist()))
    with pytest.raises(AdvantageError):
        shuffled_within_groups(rewards, 5)

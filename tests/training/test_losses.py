"""The GRPO loss: every reduction, the clip, the KL term and the masks, against values worked out by hand."""

from __future__ import annotations

import math

import pytest
import torch

from widget2code.training.losses import GRPOLossError, grpo_loss, high_entropy_mask

LN = math.log


def t(rows: list[list[float]], grad: bool = False) -> torch.Tensor:
    return torch.tensor(rows, dtype=torch.float64, requires_grad=grad)


def close(actual: torch.Tensor | float, expected: float | list) -> None:
    actual = torch.as_tensor(actual, dtype=torch.float64)
    torch.testing.assert_close(actual, torch.tensor(expected, dtype=torch.float64), rtol=0, atol=1e-9)


# On policy (ratio 1), beta 0: each token's loss is -A. Row 0 has 3 tokens (A = 2), row 1 one (A = -1).
MASK = torch.tensor([[1, 1, 1], [1, 0, 0]])
ADV = torch.tensor([2.0, -1.0], dtype=torch.float64)


@pytest.mark.parametrize(("loss_type", "max_len", "loss", "grads"), [
    # mean per sequence, then over sequences: (-2 + 1) / 2; each token weighs 1 / (its length * B)
    ("grpo", None, -0.5, [[-1 / 3, -1 / 3, -1 / 3], [0.5, 0, 0]]),
    # mean over the batch's 4 tokens: (-6 + 1) / 4
    ("bnpo", None, -1.25, [[-0.5, -0.5, -0.5], [0.25, 0, 0]]),
    # sum / (B * max_completion_length) = -5 / 8
    ("dr_grpo", 4, -0.625, [[-0.25, -0.25, -0.25], [0.125, 0, 0]]),
])  # fmt: skip
def test_reductions(loss_type, max_len, loss, grads) -> None:
    logps = t([[-1.0, -2.0, -0.5], [-0.7, -3.0, -3.0]], grad=True)
    value, stats = grpo_loss(logps, None, None, ADV, MASK, beta=0.0, loss_type=loss_type,
                             max_completion_length=max_len)
    close(value, loss)
    value.backward()
    close(logps.grad, grads)  # d(-ratio * A)/d logp = -A at ratio 1, times the token's weight
    assert stats["clip_ratio/region_mean"] == 0 and stats["ratio/min"] == stats["ratio/max"] == 1
    assert "kl" not in stats


def test_dapo_normalises_by_the_optimizer_steps_tokens() -> None:
    # the mini-batch holds 4 of the step's 10 tokens: sum -5 over 10, each token's gradient -A / 10
    logps = t([[-1.0, -2.0, -0.5], [-0.7, -3.0, -3.0]], grad=True)
    value, _ = grpo_loss(logps, None, None, ADV, MASK, beta=0.0, loss_type="dapo", num_items_in_batch=10)
    close(value, -0.5)
    value.backward()
    close(logps.grad, [[-0.2, -0.2, -0.2], [0.1, 0.0, 0.0]])


def test_sequence_level_importance_sampling_clips_whole_sequences() -> None:
    # GSPO: row 0 (A = 2) has log-ratios ln 2 and 0: its ratio exp(ln 2 / 2) = 1.414 is held at 1.2 on
    # both tokens; row 1 (A = -1): exp(mean(ln 0.9, ln 0.9)) = 0.9, inside the range
    old = t([[0.0, 0.0], [0.0, 0.0]])
    logps = t([[LN(2.0), 0.0], [LN(0.9), LN(0.9)]], grad=True)
    adv = torch.tensor([2.0, -1.0], dtype=torch.float64)
    value, stats = grpo_loss(logps, old, None, adv, torch.ones(2, 2), beta=0.0, importance_sampling_level="sequence")
    close(value, ((-2.4 - 2.4) / 2 + (0.9 + 0.9) / 2) / 2)
    value.backward()
    # row 1: d/d logp_t of (1/2) * ratio = (1/2) * ratio * (1/2 tokens); row 0 is clipped: no gradient
    close(logps.grad, [[0.0, 0.0], [0.225, 0.225]])
    close(stats["clip_ratio/high_mean"], 0.5)
    close(stats["ratio/max"], math.sqrt(2.0))
    close(stats["ratio/min"], 0.9)
    # at the token level the same tokens give other ratios: 2 (clipped) and 1 (not) in row 0
    token_value, _ = grpo_loss(logps.detach(), old, None, adv, torch.ones(2, 2), beta=0.0)
    close(token_value, ((-2.4 - 2.0) / 2 + (0.9 + 0.9) / 2) / 2)


def test_high_entropy_mask_keeps_the_top_quantile_of_real_tokens() -> None:
    entropy = t([[0.1, 0.9, 0.5, 7.0], [0.3, 0.7, 9.0, 9.0]])
    mask = torch.tensor([[1, 1, 1, 0], [1, 1, 0, 0]])  # real entropies 0.1 0.3 0.5 0.7 0.9
    # top 40 %: at or above the 0.6 quantile of the five (0.58): 0.7 and 0.9; padding never, whatever its entropy
    assert high_entropy_mask(entropy, mask, 0.4).tolist() == [[False, True, False, False], [False, True, False, False]]
    assert high_entropy_mask(entropy, mask, 1.0).tolist() == mask.bool().tolist()
    with pytest.raises(GRPOLossError, match="top_entropy_quantile"):
        high_entropy_mask(entropy, mask, 0.0)


def test_entropy_mask_keeps_the_policy_term_on_forks_and_the_kl_everywhere() -> None:
    logps = t([[0.0, -1.0]], grad=True)
    ref = t([[LN(2.0), LN(2.0) - 1.0]])  # ref - logp = ln 2 on both tokens: k3 = 1 - ln 2 each
    k3 = 1 - LN(2.0)
    forks = torch.tensor([[True, False]])
    value, _ = grpo_loss(logps, None, ref, torch.tensor([2.0], dtype=torch.float64), torch.ones(1, 2), beta=0.5,
                         entropy_mask=forks)
    close(value, (-2.0 + 0.5 * k3 + 0.5 * k3) / 2)  # the policy term on token 0 only, the KL on both
    value.backward()
    close(logps.grad, [[(-2.0 + 0.5 * (1 - 2.0)) / 2, 0.5 * (1 - 2.0) / 2]])


def test_clipping_active_and_inactive() -> None:
    old = t([[0.0, 0.0], [0.0, 0.0]])
    logps = t([[LN(1.5), LN(1.1)], [LN(0.5), LN(1.5)]], grad=True)
    adv = torch.tensor([2.0, -1.0], dtype=torch.float64)
    value, stats = grpo_loss(logps, old, None, adv, torch.ones(2, 2), beta=0.0)
    # row 0 (A = 2): ratio 1.5 is held at 1.2 -> -2.4; ratio 1.1 is inside -> -2.2
    # row 1 (A = -1): ratio 0.5 is held at 0.8 -> 0.8; ratio 1.5 with A < 0 is not clipped -> 1.5
    close(value, ((-2.4 - 2.2) / 2 + (0.8 + 1.5) / 2) / 2)
    value.backward()
    # clipped tokens get no gradient; the others -A * ratio / (2 tokens * 2 rows)
    close(logps.grad, [[0.0, -2 * 1.1 / 4], [0.0, 1.5 / 4]])
    close(stats["clip_ratio/low_mean"], 0.25)
    close(stats["clip_ratio/high_mean"], 0.25)
    close(stats["clip_ratio/region_mean"], 0.5)
    close(stats["ratio/min"], 0.5)
    close(stats["ratio/max"], 1.5)
    # clip-higher: with epsilon_high 0.6 the ratio 1.5 is inside the range for A > 0
    value, stats = grpo_loss(logps.detach(), old, None, adv, torch.ones(2, 2), beta=0.0, epsilon_high=0.6)
    close(value, ((-3.0 - 2.2) / 2 + (0.8 + 1.5) / 2) / 2)
    assert stats["clip_ratio/high_mean"] == 0 and stats["clip_ratio/low_mean"] == 0.25


def test_kl_penalty_k3_and_its_ratio_correction() -> None:
    logps = t([[0.0, -1.0]], grad=True)
    ref = t([[LN(2.0), -1.0]])  # ref - logp = ln 2 on token 0: k3 = 2 - ln 2 - 1; token 1: 0
    k3 = 1 - LN(2.0)
    zero = torch.zeros(1, dtype=torch.float64)  # A = 0: only the KL term is left
    value, stats = grpo_loss(logps, None, ref, zero, torch.ones(1, 2), beta=0.5)
    close(value, 0.5 * k3 / 2)
    close(stats["kl"], k3 / 2)
    value.backward()
    close(logps.grad, [[0.5 * (1 - 2.0) / 2, 0.0]])  # d k3 / d logp = 1 - exp(ref - logp)
    # beta 0: the KL is still reported but is not in the loss
    value, stats = grpo_loss(logps.detach(), None, ref, zero, torch.ones(1, 2), beta=0.0)
    close(value, 0.0)
    close(stats["kl"], k3 / 2)
    # TRL's bias correction multiplies k3 by the ratio pi / pi_old (1.25 on token 0)
    old = t([[-LN(1.25), -1.0]])
    value, stats = grpo_loss(logps.detach(), old, ref, zero, torch.ones(1, 2), beta=0.5, kl_ratio_correction=True)
    close(value, 0.5 * 1.25 * k3 / 2)
    close(stats["kl"], 1.25 * k3 / 2)


def test_masked_tokens_and_fully_masked_rows_never_give_nan() -> None:
    # Padding may hold anything (here -inf and NaN log-probs): it must not reach the loss or the gradient.
    logps = t([[-1.0, float("-inf")], [float("nan"), float("-inf")]], grad=True)
    old = t([[-1.0, float("nan")], [0.0, float("inf")]])
    ref = t([[-1.0, 5.0], [float("nan"), 0.0]])
    mask = torch.tensor([[1, 0], [0, 0]])
    adv = torch.tensor([1.0, 5.0], dtype=torch.float64)
    expected = {"grpo": (-1 + 0) / 2, "bnpo": -1.0, "dr_grpo": -1 / (2 * 2)}
    for loss_type, loss in expected.items():
        value, stats = grpo_loss(logps, old, ref, adv, mask, loss_type=loss_type, max_completion_length=2)
        close(value, loss)
        assert all(math.isfinite(v) for v in stats.values()), stats
        logps.grad = None
        value.backward()
        assert torch.isfinite(logps.grad).all() and logps.grad[0, 1] == 0 and (logps.grad[1] == 0).all()
    # nothing unmasked at all: loss 0, stats finite
    value, stats = grpo_loss(logps, old, ref, adv, torch.zeros(2, 2), entropy=torch.ones(2, 2))
    close(value, 0.0)
    assert stats == {"clip_ratio/low_mean": 0.0, "clip_ratio/high_mean": 0.0, "clip_ratio/region_mean": 0.0,
                     "ratio/min": 1.0, "ratio/max": 1.0, "kl": 0.0, "entropy": 0.0}


def test_entropy_is_a_masked_token_mean() -> None:
    entropy = t([[1.0, 2.0, 100.0], [4.0, 100.0, 100.0]])
    _, stats = grpo_loss(t([[0.0] * 3] * 2), None, None, ADV, MASK, beta=0.0, entropy=entropy)
    close(stats["entropy"], (1 + 2 + 100 + 4) / 4)


@pytest.mark.parametrize(("change", "word"), [
    ({"old_logps": torch.zeros(2, 2)}, "old_logps"),
    ({"ref_logps": torch.zeros(3, 3)}, "ref_logps"),
    ({"mask": torch.ones(2)}, "mask"),
    ({"advantages": torch.zeros(2, 1)}, "advantages"),
    ({"advantages": torch.tensor([0.0, float("nan")])}, "finite"),
    ({"loss_type": "cispo"}, "loss_type"),
    ({"loss_type": "dapo"}, "num_items_in_batch"),
    ({"loss_type": "dapo", "num_items_in_batch": 0}, "num_items_in_batch"),
    ({"importance_sampling_level": "sentence"}, "importance_sampling_level"),
    ({"entropy_mask": torch.ones(2, 2)}, "entropy_mask"),
    ({"loss_type": "dr_grpo"}, "max_completion_length"),
    ({"loss_type": "dr_grpo", "max_completion_length": 2}, "max_completion_length"),
    ({"ref_logps": None}, "ref_logps"),
    ({"epsilon": -0.1}, "epsilon"),
    ({"beta": -1.0}, "beta"),
])  # fmt: skip
def test_bad_inputs_raise_typed_errors(change, word) -> None:
    args = {"logps": torch.zeros(2, 3), "old_logps": None, "ref_logps": torch.zeros(2, 3),
            "advantages": torch.zeros(2), "mask": torch.ones(2, 3)} | change
    options = {key: args.pop(key) for key in list(args) if key not in ("logps", "old_logps", "ref_logps",
                                                                          "advantages", "mask")}
    with pytest.raises(GRPOLossError, match=word):
        grpo_loss(args["logps"], args["old_logps"], args["ref_logps"], args["advantages"], args["mask"], **options)

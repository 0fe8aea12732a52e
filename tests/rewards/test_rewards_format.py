"""The format reward on real compiler runs (the renderer's Node compile worker, no browser)."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate
from PIL import Image

from widget2code.rewards.format import CHECKS, FormatReward
from widget2code.task import format_completion

THINK = "A card with a title; blue background, white text, rounded corners."
GOOD_CODE = """import { useState } from 'react';
export default function Widget() {
  const [n] = useState(3);
  return <div className="rounded-xl bg-[#1e293b] p-4 text-white">Items: {n}</div>;
}"""
NO_EXPORT = "function Widget() { return <div className='p-4'>hi</div>; }\nexport const W = Widget;"
BAD_IMPORT = "import _ from 'lodash';\nexport default function Widget() { return <div>{_.upperFirst('x')}</div>; }"
SYNTAX_ERROR = "export default function Widget() { return <div className='p-4'>hi</span>; }"

CASES = {
    "good": format_completion(THINK, GOOD_CODE),
    "missing_think": f"<code>{GOOD_CODE}</code>",
    "no_default_export": format_completion(THINK, NO_EXPORT),
    "bad_import": format_completion(THINK, BAD_IMPORT),
    "syntax_error": format_completion(THINK, SYNTAX_ERROR),
    "empty": "",
    "prose_only": "I cannot see the picture.",
}
# Which checks each case passes: the compiler stops at the first failing stage (syntax, imports, export).
PASSES = {
    "good": {"tags", "syntax", "imports", "component"},
    "missing_think": {"syntax", "imports", "component"},
    "no_default_export": {"tags", "syntax", "imports"},
    "bad_import": {"tags", "syntax"},
    "syntax_error": {"tags"},
    "empty": set(),
    "prose_only": set(),
}


@pytest.fixture(scope="module")
def reward():
    with FormatReward() as format_reward:
        yield format_reward


@pytest.fixture(scope="module")
def scored(reward):
    return reward.score([], list(CASES.values()))


@pytest.mark.parametrize("case", list(CASES))
def test_partial_credit_per_check(scored, case):
    i = list(CASES).index(case)
    passed = {check for check in CHECKS if scored.components[check][i] == 1.0}
    assert passed == PASSES[case]
    assert scored.total[i] == pytest.approx(0.25 * len(PASSES[case]))


def test_errors_name_the_compile_failure(scored):
    errors = dict(zip(CASES, scored.errors, strict=True))
    assert errors == {"good": None, "missing_think": None, "no_default_export": "no_component",
                      "bad_import": "import", "syntax_error": "syntax", "empty": "no_code", "prose_only": "no_code"}


def test_completions_come_from_context_when_candidates_are_renders(reward):
    pictures = [Image.new("RGB", (4, 4))] * 2
    totals = reward(pictures, pictures, completions=[CASES["good"], CASES["bad_import"]])
    assert totals == [1.0, 0.5]
    with pytest.raises(ValueError, match="completion texts"):
        reward(pictures, pictures)
    with pytest.raises(ValueError, match="one completion per candidate"):
        reward(pictures, pictures, completions=[CASES["good"]])


@pytest.mark.slow
def test_weights_from_config_and_pickling_with_a_live_compiler():
    compiles_only = FormatReward(weights={"component": 3.0})
    assert compiles_only.weights == {"tags": 0.0, "syntax": 0.0, "imports": 0.0, "component": 1.0}
    clone = None
    try:
        assert compiles_only([], [CASES["missing_think"], CASES["no_default_export"]]) == [1.0, 0.0]
        clone = pickle.loads(pickle.dumps(compiles_only))  # the running compile worker is not pickled
        assert clone([], [CASES["bad_import"], CASES["good"]]) == [0.0, 1.0]
    finally:
        compiles_only.close()
        if clone is not None:
            clone.close()


def test_bad_weights_are_rejected():
    with pytest.raises(ValueError, match="unknown check"):
        FormatReward(weights={"compiles": 1.0})
    with pytest.raises(ValueError, match="positive sum"):
        FormatReward(weights={"tags": 0.0})


def test_config_builds_the_reward():
    with initialize_config_dir(str(Path(__file__).resolve().parents[2] / "conf"), version_base="1.3"):
        cfg = compose(overrides=["+reward=format", "reward.weights.tags=3.0"])
    built = instantiate(cfg.reward)
    assert isinstance(built, FormatReward)
    other = 0.25 / 3.75  # the other three keep their 0.25 from the file
    assert built.weights == pytest.approx({"tags": 3 / 3.75, "syntax": other, "imports": other, "component": other})
    assert built([], ["no tags, no code"]) == [0.0]

"""`python -m widget2code.rewards REF CAND... reward=<name>` run as a real subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

REPO = Path(__file__).resolve().parents[2]


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "widget2code.rewards", *args], capture_output=True, text=True,
                          cwd=REPO, env={**os.environ, **(env or {})}, timeout=240)


@pytest.fixture(scope="module")
def images(tmp_path_factory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("cli")
    ref = Image.new("RGBA", (120, 72), (0, 0, 0, 0))
    draw = ImageDraw.Draw(ref)
    draw.rounded_rectangle((4, 4, 115, 67), 10, fill="#1e293b")
    draw.rectangle((14, 14, 70, 28), fill="#3b82f6")
    worse = ref.copy()
    ImageDraw.Draw(worse).rectangle((14, 14, 70, 28), fill="#1e293b")  # the bar is gone
    paths = {"ref": root / "ref.png", "worse": root / "worse.png", "text": root / "notes.png"}
    ref.save(paths["ref"])
    worse.save(paths["worse"])
    paths["text"].write_text("not an image")
    return {k: str(v) for k, v in paths.items()}


@pytest.mark.slow
def test_prints_one_json_line_per_candidate(images) -> None:
    proc = run_cli(images["ref"], images["ref"], images["worse"], "reward=programmatic",
                   "reward.allow_random_backbone=true", "reward.device=cpu", "reward.working_size=128")
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["candidate"] for r in rows] == [images["ref"], images["worse"]]
    keys = {"total", "ssim", "lpips", "palette", "contrast", "polarity", "layout", "error"}
    assert all(keys <= set(r) for r in rows)
    assert rows[0]["total"] == pytest.approx(1.0, abs=1e-6) and rows[1]["total"] < rows[0]["total"]
    assert "RANDOM" in proc.stderr  # the random LPIPS backbone is announced


@pytest.mark.parametrize(("args", "message"), [
    (["{ref}"], "at least one candidate"),
    (["{ref}", "/nonexistent/cand.png"], "no such image file: /nonexistent/cand.png"),
    (["{ref}", "{text}"], "cannot read"),
    (["{ref}", "{ref}", "reward=no_such_reward"], "unknown reward 'no_such_reward'; available: "),
    (["{ref}", "{ref}", "reward.no_such_field=1"], "bad config for reward 'programmatic'"),
    pytest.param(["{ref}", "{ref}", "+reward.weights.sharpness=1"], "unknown programmatic metric",
                 marks=pytest.mark.slow),  # raised while instantiating: imports torch
])
def test_bad_usage_exits_2_with_a_clear_message(images, args, message) -> None:
    proc = run_cli(*[a.format(**images) for a in args])
    assert proc.returncode == 2
    assert message in proc.stderr and proc.stdout == ""


@pytest.mark.slow
def test_missing_lpips_weights_exit_1_naming_the_file(images, tmp_path) -> None:
    proc = run_cli(images["ref"], images["worse"], "reward.device=cpu", env={"TORCH_HOME": str(tmp_path)})
    assert proc.returncode == 1
    assert "alexnet-owt-7be5be79.pth" in proc.stderr and str(tmp_path / "hub" / "checkpoints") in proc.stderr

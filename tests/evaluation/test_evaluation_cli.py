"""`scripts/evaluate.py` end to end on the tiny synthetic split, its one-line errors, the rewards CLI with
a missing API key, and `scripts/setup_benchmark.sh` where the benchmark cannot be reached."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
EVALUATE = ROOT / "scripts" / "evaluate.py"
SETUP = ROOT / "scripts" / "setup_benchmark.sh"


def _run(args: list[str], cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


def _evaluate(tmp_path: Path, *overrides: str) -> subprocess.CompletedProcess[str]:
    return _run([sys.executable, str(EVALUATE), *overrides, f"hydra.run.dir={tmp_path / 'hydra'}",
                 f"metrics.widget2code.ocr_model_dir={tmp_path / 'no-ocr'}"], cwd=tmp_path)


@pytest.mark.slow
@pytest.mark.browser
def test_cli_end_to_end_oracle_then_tsx_dir(tmp_path: Path, dataset: Path) -> None:
    oracle = _evaluate(tmp_path, f"references.manifest={dataset}", "references.split=test", "predictor=oracle",
                       f"out_dir={tmp_path / 'oracle'}", f"metrics.clip.model_name_or_path={tmp_path / 'no-clip'}")
    assert oracle.returncode == 0, oracle.stderr[-3000:]
    summary = json.loads((tmp_path / "oracle" / "summary.json").read_text())
    assert summary["render_success_rate"] == 1.0 and summary["metrics"]["reward"] == pytest.approx(1.0)
    assert summary["conditioning_gap"]["low"] > 0
    assert summary["metrics"]["clip"] is None and any(n.startswith("clip:") for n in summary["notes"])
    assert (tmp_path / "oracle" / "report" / "index.html").is_file()
    # The oracle's output, in the official layout, read back as a TSX folder against the exported GT folder.
    again = _evaluate(tmp_path, f"references.dir={tmp_path / 'oracle' / 'gt'}", "predictor=tsx_dir",
                      f"predictor.dir={tmp_path / 'oracle' / 'predictions'}", f"out_dir={tmp_path / 'tsx'}",
                      "report=false")
    assert again.returncode == 0, again.stderr[-3000:]
    assert "render success 100.0%" in again.stdout
    summary = json.loads((tmp_path / "tsx" / "summary.json").read_text())
    assert summary["n"] == 5 and summary["metrics"]["reward"] == pytest.approx(1.0)


def _bad_input(tmp_path: Path, case: str) -> list[str]:
    gt, pred = tmp_path / "gt", tmp_path / "pred"
    gt.mkdir()
    pred.mkdir()
    if case != "empty reference folder":
        for i in (1, 2):
            Image.new("RGB", (40, 30), "navy").save(gt / f"gt_{i:04d}.png")
    if case != "predictor folder without TSX":
        ref_id = "0900" if case == "ids that do not match" else "0001"
        (pred / f"pred_{ref_id}.tsx").write_text("export default () => <div className='p-4'>x</div>;")
    overrides = [f"references.dir={gt}", "predictor=tsx_dir", f"predictor.dir={pred}"]
    if case == "no reference source":
        overrides = overrides[1:]
    if case == "judge without API key":
        overrides.append("reward=composite_widgetanchor")
    if case == "sampled mode without a model":
        overrides.append("sampled.k=2")
    return overrides


@pytest.mark.slow  # each case starts Python, Hydra and (for most) torch in a subprocess
@pytest.mark.parametrize(("case", "message"), [
    ("empty reference folder", "no screenshots named with a 4-digit id"),
    ("ids that do not match", "match none of the 2 references"),
    ("predictor folder without TSX", "holds no .tsx files"),
    ("no reference source", "give exactly one reference source"),
    ("judge without API key", "OPENAI_API_KEY"),
    ("sampled mode without a model", "tsx_dir has no model to sample from"),
])
def test_cli_bad_input_is_one_line_and_exit_2(tmp_path: Path, case: str, message: str) -> None:
    result = _evaluate(tmp_path, *_bad_input(tmp_path, case))
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2, result.stderr[-3000:]
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_rewards_cli_missing_api_key_is_one_line_and_exit_2(tmp_path: Path) -> None:
    for name, colour in (("ref.png", "navy"), ("cand.png", "teal")):
        Image.new("RGB", (40, 30), colour).save(tmp_path / name)
    result = _run([sys.executable, "-m", "widget2code.rewards", str(tmp_path / "ref.png"), str(tmp_path / "cand.png"),
                   "reward=vlm_judge"], cwd=ROOT)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2 and len(lines) == 1 and "OPENAI_API_KEY" in lines[0], result.stderr


def test_setup_benchmark_says_clearly_when_it_cannot_reach_the_source(tmp_path: Path) -> None:
    env = {**os.environ, "HF_ENDPOINT": "http://127.0.0.1:9", "W2C_CONNECT_TIMEOUT_S": "3"}
    result = subprocess.run(["bash", str(SETUP), str(tmp_path / "bench")], env=env, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 1
    assert "cannot reach the Widget2Code benchmark" in result.stderr and "--from" in result.stderr
    assert not (tmp_path / "bench" / "GT").exists()


def test_setup_benchmark_lays_out_a_downloaded_copy(tmp_path: Path) -> None:
    copy = tmp_path / "copy" / "test"
    copy.mkdir(parents=True)
    for name in ("image_0002.png", "image_0001.png", "cover.png"):
        Image.new("RGB", (40, 30), "navy").save(copy / name)
    env = {**os.environ, "W2C_BENCHMARK_COUNT": "3"}
    result = subprocess.run(["bash", str(SETUP), "--from", str(tmp_path / "copy"), str(tmp_path / "bench")],
                            env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    gt = tmp_path / "bench" / "GT"
    assert sorted(p.name for p in gt.glob("*.png")) == ["gt_0001.png", "gt_0002.png", "gt_0003.png"]
    assert "0003\tcover.png" in (gt / "ids.tsv").read_text()
    wrong = subprocess.run(["bash", str(SETUP), "--from", str(tmp_path / "copy"), str(tmp_path / "other")],
                           env={**env, "W2C_BENCHMARK_COUNT": "1000"}, capture_output=True, text=True, timeout=120)
    assert wrong.returncode == 2 and "expected 1000" in wrong.stderr

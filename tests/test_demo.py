"""`make demo` end to end on a handful of samples and steps: data, alignment, SFT, GRPO, evaluation, report."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra

from widget2code.demo import stage_config

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.timeout(1200)
def test_demo_trains_evaluates_and_writes_a_report(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "scripts/demo.py", "pipeline.num_samples=24", f"hydra.run.dir={tmp_path}",
         "stage_overrides=[" + ",".join(f'"{o}"' for o in (
             "trainer.max_steps=2", "trainer.val_check_interval=1", "trainer.check_val_every_n_epoch=1",
             "trainer.max_epochs=1", "trainer.limit_val_batches=1")) + "]",
         "evaluate.max_new_tokens=16"],
        cwd=REPO, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    test_split = [json.loads(line) for line in (tmp_path / "data" / "manifest.jsonl").read_text().splitlines()]
    n_test = sum(record["split"] == "test" for record in test_split)
    for stage in ("align", "sft", "grpo"):
        assert (tmp_path / stage / "adapter").is_dir(), f"{stage} exported nothing"
    for model in ("untrained", "sft", "grpo"):
        summary = json.loads((tmp_path / "eval" / model / "summary.json").read_text())
        assert summary["n"] == n_test > 0
        assert 0.0 <= summary["render_success_rate"] <= 1.0
    report = tmp_path / "report" / "index.html"
    html = report.read_text()
    assert "conditioning gap" in html and "untrained" in html and "grpo" in html
    images = re.findall(r'<img src="([^"]+)"', html)
    assert images and all((report.parent / src).is_file() for src in images)


def test_the_long_demo_trains_grpo_on_screenshots_sft_never_sees(tmp_path: Path) -> None:
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(str(REPO / "conf"), version_base="1.3"):
            demo = compose("demo_long", overrides=["hydra.runtime.output_dir=unused"], return_hydra_config=True)
            stages = {stage.name: stage_config(stage, tmp_path / "data", tmp_path, tmp_path / "previous", 0, [])
                      for stage in demo.stages}
    finally:
        GlobalHydra.instance().clear()
    assert list(stages) == ["align", "sft", "sft2", "grpo"]
    assert stages["grpo"].module.grpo.group_size == 8 and stages["grpo"].trainer.max_steps == 60
    trains_on = {name: cfg.data.splits.train for name, cfg in stages.items()}
    assert trains_on == {"align": "train", "sft": "train", "sft2": "train", "grpo": "rl"}
    assert all(cfg.data.splits.test == "test" for cfg in stages.values())
    assert set(demo.pipeline.stages.split.ratios) == {"train", "val", "test", "rl"}
    assert demo.evaluate.sampled.k == 32 and demo.evaluate.sampled.models == ["sft2", "grpo"]


from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from PIL import Image
from support.openai_server import request_text

from widget2code.data.manifest import read_manifest, write_manifest
from widget2code.data.pipeline import MARKER, PipelineConfigError, run
from widget2code.data.synthetic import HEADINGS, generate_widget
from widget2code.llm import LLMConfigError

ROOT = Path(__file__).resolve().parents[2]


def build_data(out: Path, *overrides: str) -> subprocess.CompletedProcess[str]:
    """`scripts/build_data.py` as a user runs it, with Hydra's own run folder kept out of the repository."""
    command = [sys.executable, str(ROOT / "scripts" / "build_data.py"), f"out_dir={out}", *overrides,
               f"hydra.run.dir={out.parent / 'hydra'}", "hydra.output_subdir=null"]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=240, check=False,
                          env={**os.environ, "COLUMNS": "160"})


def pipeline_config(*overrides: str):
    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
        return compose(config_name="data_pipeline", overrides=list(overrides))


@pytest.mark.browser
@pytest.mark.slow
def test_build_data_end_to_end_then_a_rerun_skips_everything(tmp_path):
    out = tmp_path / "ds"
    first = build_data(out, "num_samples=12")
    assert first.returncode == 0, first.stderr[-3000:]
    records = read_manifest(out)
    assert len(records) == 12 and len({r.id for r in records}) == 12
    assert {r.split for r in records} == {"train", "val", "test"}
    assert {r.difficulty for r in records} == {"simple", "medium", "complex"}
    for record in records:
        assert record.cot and record.cot.startswith(HEADINGS[0]) and record.id.startswith("synthetic-0-")
        assert (out / record.tsx).is_file()
        with Image.open(out / record.image) as image:
            assert image.size == (record.width, record.height)
        assert "cluster" in record.metrics and record.metrics["tsx_tokens"] > 0
    assert "render_verify" in first.stdout and "12 samples" in first.stdout  # the summary table
    report = json.loads((out / "pipeline_report.json").read_text())
    assert [s["stage"] for s in report["stages"]] == ["build", "render_verify", "dedup", "difficulty", "split",
                                                      "annotate"]

    # Nothing changed: every stage is up to date, so no browser starts and nothing is rewritten.
    manifest_before = (out / "manifest.jsonl").read_bytes()
    second = build_data(out, "num_samples=12")
    assert second.returncode == 0, second.stderr[-3000:]
    assert all(s["skipped"] for s in json.loads((out / "pipeline_report.json").read_text())["stages"])
    assert (out / "manifest.jsonl").read_bytes() == manifest_before

    # An interrupted render_verify (half its records written, no marker) resumes with the other half.
    verify = out / "stages" / "render_verify"
    (verify / MARKER).unlink()
    write_manifest(verify, read_manifest(verify)[:6])
    third = build_data(out, "num_samples=12")
    assert third.returncode == 0, third.stderr[-3000:]
    stages = {s["stage"]: s for s in json.loads((out / "pipeline_report.json").read_text())["stages"]}
    assert stages["build"]["skipped"] and not stages["render_verify"]["skipped"]
    assert stages["render_verify"]["resumed"] == 6 and stages["render_verify"]["kept"] == 12
    assert stages["dedup"]["skipped"]  # same input manifest as before: its result stands
    assert (out / "manifest.jsonl").read_bytes() == manifest_before


@pytest.mark.parametrize("count", [-3, 0, "many"])
def test_a_bad_sample_count_is_refused_before_anything_is_written(tmp_path, count):
    cfg = pipeline_config(f"num_samples={count}", f"out_dir={tmp_path / 'ds'}")
    with pytest.raises(PipelineConfigError, match="num_samples must be a positive whole number"):
        run(cfg)
    assert not (tmp_path / "ds").exists()


def test_split_ratios_that_do_not_sum_to_one_are_refused_before_anything_is_written(tmp_path):
    cfg = pipeline_config("num_samples=12", "stages.split.ratios.test=0.5", f"out_dir={tmp_path / 'ds'}")
    with pytest.raises(PipelineConfigError, match=r"stages.split.ratios: split ratios must be non-negative and sum "
                                                  r"to 1, got \{'train': 0.9, 'val': 0.05, 'test': 0.5\}"):
        run(cfg)
    assert not (tmp_path / "ds").exists()


def test_a_missing_api_key_stops_the_llm_pipeline_before_any_work(tmp_path, monkeypatch):
    monkeypatch.delenv("W2C_TEST_NO_SUCH_KEY", raising=False)
    cfg = pipeline_config("data_source=llm_synthetic", "num_samples=3", f"out_dir={tmp_path / 'ds'}",
                          "llm.api_key_env=W2C_TEST_NO_SUCH_KEY")
    with pytest.raises(LLMConfigError, match="W2C_TEST_NO_SUCH_KEY"):
        run(cfg)
    assert not (tmp_path / "ds" / "raw" / "manifest.jsonl").exists()


@pytest.mark.browser
@pytest.mark.slow
def test_llm_pipeline_against_a_loopback_server(tmp_path, openai_server):
    trace = "\n\n".join(f"{h}\nSomething about it." for h in HEADINGS)

    def responder(body):
        text = request_text(body)
        if "You annotate training data" in text:
            return trace
        category = text.split("Widget: a ", 1)[1].split(" widget.", 1)[0]
        return f"<code>{generate_widget(len(text), category).tsx}</code>"

    openai_server.responder = responder
    cfg = pipeline_config("data_source=llm_synthetic", "num_samples=4", f"out_dir={tmp_path / 'ds'}", "workers=2",
                          f"llm.base_url={openai_server.base_url}", "llm.max_retries=0", "llm.model=fake-vlm",
                          "data_source.categories=[clock,battery]", "render.slots=1")
    reports = {r.stage: r for r in run(cfg)}
    records = read_manifest(tmp_path / "ds")
    assert len(records) == 4 and all(r.id.startswith("llmgen-s0-") for r in records)
    assert all(r.cot == trace and r.provenance["cot_model"] == "fake-vlm" for r in records)
    assert len(openai_server.requests) == 8 and not openai_server.shape_errors  # 4 widgets + 4 traces
    assert reports["generate_synthetic_llm"].extra["usage"]["requests"] == 4
    assert reports["annotate"].extra["usage"]["requests"] == 4
    assert all(r.metrics["cluster"] for r in records)
    # A rerun asks the server for nothing.
    assert all(r.skipped for r in run(cfg)) and len(openai_server.requests) == 8

"""scripts/infer.py end to end on a saved tiny model with an adapter, its bad-input errors and Ctrl-C;
conf/infer.yaml building a tiny model from a dataset."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from hydra.errors import InstantiationException
from hydra.utils import instantiate
from inference_widgets import GOOD, POOR
from peft import LoraConfig, get_peft_model
from PIL import Image

from widget2code.data.manifest import SampleRecord, write_manifest
from widget2code.entry import exit_status
from widget2code.inference.cli import SETUP_ERRORS, USAGE_ERRORS
from widget2code.inference.generate import SamplingConfig, generate_texts
from widget2code.inference.inputs import InferInputError, find_images
from widget2code.inference.loader import load_model
from widget2code.inference.model_predictor import ModelPredictor
from widget2code.inference.openai_predictor import OpenAIPredictor
from widget2code.inference.search import PredictorConfigError
from widget2code.llm import OpenAICompatibleClient
from widget2code.models.factory import LoadedModel, ModelLoadError, load_pretrained

ROOT = Path(__file__).resolve().parents[2]


def write_png(path: Path, image: Image.Image) -> Path:
    image.save(path)
    return path


def test_find_images_reports_bad_input(tmp_path: Path) -> None:
    with pytest.raises(InferInputError, match="does not exist"):
        find_images(tmp_path / "missing.png")
    (tmp_path / "notes.txt").write_text("not an image")
    with pytest.raises(InferInputError, match=f"folder {re.escape(str(tmp_path))} holds no images"):
        find_images(tmp_path)
    (tmp_path / "b.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    with pytest.raises(InferInputError, match=r"cannot read image .*b\.png"):
        find_images(tmp_path)
    write_png(tmp_path / "b.png", Image.new("RGB", (8, 8)))
    write_png(tmp_path / "a.jpg", Image.new("RGB", (8, 8)))
    assert find_images(tmp_path) == [tmp_path / "a.jpg", tmp_path / "b.png"]
    assert find_images(tmp_path / "b.png") == [tmp_path / "b.png"]
    write_png(tmp_path / "a.png", Image.new("RGB", (8, 8)))
    with pytest.raises(InferInputError, match=r"a\.jpg and a\.png would share the output folder"):
        find_images(tmp_path)


def test_exit_status_sees_through_hydra() -> None:
    cause = ModelLoadError("no such model")
    wrapped = InstantiationException("Error in call to target")
    wrapped.__cause__ = cause
    assert exit_status(wrapped, USAGE_ERRORS, SETUP_ERRORS) == (2, cause)
    assert exit_status(RuntimeError("a bug"), USAGE_ERRORS, SETUP_ERRORS) is None


def test_scoring_modes_need_a_renderer_and_a_reward() -> None:
    client = OpenAICompatibleClient(base_url="http://127.0.0.1:9/v1")
    with pytest.raises(PredictorConfigError, match="renderer and a reward"):
        OpenAIPredictor(client, mode="best_of_n", n=2)
    with pytest.raises(PredictorConfigError, match="unknown predictor mode"):
        OpenAIPredictor(client, mode="beam")  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def saved(scripted: LoadedModel, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(model directory, LoRA adapter directory) of the scripted model; the adapter starts as a no-op."""
    root = tmp_path_factory.mktemp("saved")
    model_dir, adapter_dir = root / "model", root / "adapter"
    scripted.model.save_pretrained(model_dir)
    scripted.processor.save_pretrained(model_dir)
    fresh = load_pretrained(str(model_dir), dtype="float32")
    get_peft_model(fresh.model, LoraConfig(r=2, target_modules=["q_proj", "v_proj"])).save_pretrained(adapter_dir)
    return model_dir, adapter_dir


def infer_command(tmp_path: Path, *overrides: str) -> list[str]:
    return [sys.executable, str(ROOT / "scripts" / "infer.py"), f"hydra.run.dir={tmp_path / 'run'}",
            f"out_dir={tmp_path / 'out'}", "render.cache_dir=null", *overrides]


def model_overrides(model_dir: Path) -> list[str]:
    return ["model=glm41v_9b", f"model.model_name_or_path={model_dir}", "model.dtype=float32",
            "model.attn_implementation=null", "data.image_size=112", "predictor.sampling.max_new_tokens=64"]


@pytest.mark.slow
@pytest.mark.browser
def test_infer_polishes_a_folder_and_keeps_finished_images_on_ctrl_c(
    saved: tuple[Path, Path], target: Image.Image, tmp_path: Path
) -> None:
    """One run (a subprocess costs seconds of imports): the first image is polished and written, then
    Ctrl-C stops the run with exit status 130, keeping every finished image and no partial one."""
    model_dir, adapter_dir = saved
    shots = tmp_path / "shots"
    shots.mkdir()
    for name in ["a_clock", "b", "c", "d", "e", "f"]:
        write_png(shots / f"{name}.png", target)
    command = infer_command(tmp_path, f"input={shots}", *model_overrides(model_dir), f"model.adapter_path={adapter_dir}",
                            "predictor.mode=polish", "predictor.n=1", "predictor.rounds=2")
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = tmp_path / "out" / "a_clock"
    try:
        while not first.exists() and process.poll() is None:
            time.sleep(0.05)
        os.kill(process.pid, signal.SIGINT)
        _, stderr = process.communicate(timeout=300)
    finally:
        process.kill()
    assert process.returncode == 130, stderr[-3000:]

    assert (first / "output.tsx").read_text() == GOOD
    assert Image.open(first / "output.png").size == target.size
    record = json.loads((first / "score.json").read_text())
    assert record["id"] == "a_clock" and record["image"] == str((shots / "a_clock.png").resolve())
    assert record["mode"] == "polish" and record["error"] is None
    assert [entry["round"] for entry in record["history"]] == [0, 1, 2]
    assert record["history"][0]["code"] == POOR and record["history"][1]["kept"]
    assert record["score"] == pytest.approx(1.0)
    assert record["score"] > record["start_score"]

    finished = sorted(p.parent.name for p in (tmp_path / "out").glob("*/score.json"))
    assert 1 <= len(finished) < 6
    assert f"interrupted: {len(finished)} of 6 images finished" in stderr
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == finished  # no half-written folder


def test_infer_reports_a_missing_input_in_one_line(tmp_path: Path) -> None:
    done = subprocess.run(infer_command(tmp_path, f"input={tmp_path / 'nope.png'}"), cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [f"error: InferInputError: input {tmp_path / 'nope.png'} does not "
                                                "exist: give an image or a folder of images"]


@pytest.mark.slow
def test_the_infer_config_builds_a_tiny_model_with_its_adapter_and_the_predictor(tmp_path: Path) -> None:
    """conf/infer.yaml as composed by Hydra: the tiny GLM-4V of a dataset, then the same with an adapter."""
    (tmp_path / "a.tsx").write_text(GOOD)
    write_png(tmp_path / "a.png", Image.new("RGB", (64, 48), "#1e293b"))
    write_manifest(tmp_path, [SampleRecord(id="synthetic-000000", source="synthetic", category="clock", tsx="a.tsx",
                                           image="a.png", split="train", cot="A dark card.")])
    overrides = ["input=unused", f"data.dataset_dir={tmp_path}", "model.preset=tiny", "model.vocab_size=400"]
    with initialize_config_dir(version_base="1.3", config_dir=str(ROOT / "conf")):
        cfg = compose("infer", overrides=overrides)
        loaded = load_model(cfg.model)
        assert type(loaded.model).__name__ == "Glm4vForConditionalGeneration" and not loaded.model.training
        greedy = SamplingConfig(max_new_tokens=3, do_sample=False)
        screenshot = Image.new("RGB", (300, 200), "white")
        plain = generate_texts(loaded.model, loaded.processor, [screenshot], greedy, image_size=112)

        adapter = tmp_path / "adapter"
        get_peft_model(load_model(cfg.model).model, LoraConfig(r=2, target_modules=["q_proj"])).save_pretrained(adapter)
        cfg = compose("infer", overrides=[*overrides, f"model.adapter_path={adapter}"])
        adapted = load_model(cfg.model)
        assert type(adapted.model).__name__ == "PeftModel"
        assert generate_texts(adapted.model, adapted.processor, [screenshot], greedy, image_size=112) == plain

        predictor = instantiate(cfg.predictor, model=adapted.model, processor=adapted.processor)
        assert isinstance(predictor, ModelPredictor) and predictor.mode == "single"
        assert predictor.proposer.image_size == 112 and not predictor.proposer.sampling.do_sample

"""The GPU check's code on tiny models on the CPU (the real sizes need a GPU), and its fail-fast without one.

What runs here is what runs there: the same synthetic screenshots and token layout, SFTModule in a
Trainer, generation, the log-prob passes and an update, NF4 quantisation (bitsandbytes runs on the CPU),
the project's DDP and FSDP strategies with the adapter export.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from widget2code.training import gpu_check

ROOT = Path(__file__).resolve().parents[2]
CPU = torch.device("cpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the stop on machines without a GPU")
def test_gpu_check_sh_stops_at_once_without_cuda() -> None:
    done = subprocess.run(["bash", str(ROOT / "scripts" / "gpu_check.sh")], capture_output=True, text=True,
                          timeout=120, check=False, env={"PATH": "/usr/bin:/bin", "PYTHON": sys.executable})
    assert done.returncode == 3 and done.stdout == ""
    assert "needs a CUDA GPU, and torch sees none here" in done.stderr
    with pytest.raises(gpu_check.GPUCheckError, match="needs a CUDA GPU"):
        gpu_check.main(["glm"])


@pytest.mark.parametrize("family", ["glm4v", "qwen3vl"])
def test_synthetic_screenshots_are_laid_out_as_the_processor_lays_them_out(family: str) -> None:
    model = gpu_check.random_model(family, "tiny", CPU).model
    batch = gpu_check.synthetic_inputs(model.config, 64, (112, 112), rows=2, device=CPU, labels_from=40)
    grid = batch["image_grid_thw"]
    assert grid.tolist() == [[1, 8, 8]] * 2 and batch["pixel_values"].shape[0] == 2 * 64
    assert (batch["input_ids"] == model.config.image_token_id).sum(dim=1).tolist() == [16, 16]  # 8·8 / 2²
    assert torch.equal(batch["mm_token_type_ids"].bool(), batch["input_ids"] == model.config.image_token_id)
    assert (batch["labels"][:, :40] == -100).all() and (batch["labels"][:, 40:] >= 0).all()
    assert torch.isfinite(model(**batch).loss)  # the real forward takes it, images included


@pytest.mark.slow
@pytest.mark.parametrize(("family", "peft", "quantized"), [("glm4v", "lora_r16", False),
                                                           ("qwen3vl", "qlora_r64", True)])
def test_model_check_gives_an_sft_line_and_a_grpo_line(family: str, peft: str, quantized: bool) -> None:
    sft, grpo = gpu_check.model_check(family, peft, quantized, "tiny", CPU)
    assert sft["check"] == f"{family}_{peft}_sft" and sft["tokens_per_s"] > 0 and sft["loss"] > 0
    assert sft["mfu"] is None  # no datasheet peak for a CPU
    assert grpo["group"] == 3 and grpo["new_tokens"] == 8 and grpo["loss_finite"]
    assert grpo["step_s"] == pytest.approx(grpo["generation_s"] + grpo["logprobs_s"] + grpo["update_s"], abs=2e-3)
    json.dumps([sft, grpo])  # one JSON line each


def test_nf4_replaces_the_language_model_linears_only() -> None:
    model = gpu_check.random_model("qwen3vl", "tiny", CPU).model
    gpu_check.quantize_nf4(model)
    kinds = {name: type(module).__name__ for name, module in model.named_modules()}
    assert kinds["model.language_model.layers.0.mlp.down_proj"] == "Linear4bit"
    assert kinds["lm_head"] == "Linear" and kinds["model.visual.blocks.0.mlp.linear_fc1"] == "Linear"
    assert model.is_loaded_in_4bit


@pytest.mark.slow
def test_fsdp_check_runs_two_ranks_and_exports_every_lora_matrix() -> None:
    done = subprocess.run([sys.executable, "-m", "widget2code.training.gpu_check", "fsdp", "--size", "tiny",
                           "--device", "cpu"], cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    (line,) = [json.loads(text) for text in done.stdout.splitlines() if text.startswith("{")]
    assert line["check"] == "fsdp" and line["world_size"] == 2
    assert line["exported_lora_tensors"] == 2 * 4 * 2  # 2 layers × q/k/v/o × A, B (lora_r16)

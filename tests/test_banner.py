"""The line every run starts with names what runs, the model, the data and the device, from the composed config."""

from __future__ import annotations

import os
from pathlib import Path

import torch
from hydra import compose, initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from omegaconf import DictConfig

from widget2code.banner import demo_banner, device_summary, training_banner

CONF = Path(__file__).resolve().parents[1] / "conf"
CPU = f"cpu ({len(os.sched_getaffinity(0))} cores)"


def _compose(primary: str, overrides: list[str]) -> DictConfig:
    GlobalHydra.instance().clear()
    try:
        with initialize_config_dir(str(CONF), version_base="1.3"):
            return compose(primary, overrides=overrides)
    finally:
        GlobalHydra.instance().clear()


def test_a_training_run_names_its_experiment_model_data_and_device() -> None:
    tiny = _compose("train", ["experiment=sft_tiny"])
    assert training_banner(tiny) == (
        "widget2code · sft_tiny (sft, peft none) · model: tiny random glm4v (tiny preset) · data: data/synthetic"
        f" · device: {CPU}")
    qwen = _compose("train", ["experiment=sft_qwen", "data.dataset_dir=/data/w", "model.adapter_path=/runs/a"])
    line = training_banner(qwen)
    assert line.startswith("widget2code · sft_qwen (sft, peft qlora) · model: Qwen/Qwen3-VL-8B-Instruct (nf4)"
                           " + adapter /runs/a · data: /data/w · device: ")


def test_the_device_is_what_lightning_will_use() -> None:
    assert device_summary("cpu") == CPU
    if torch.cuda.is_available():
        assert device_summary("gpu", 1) == f"1 × {torch.cuda.get_device_name(0)}"
    else:
        assert device_summary("auto") == CPU and device_summary("gpu") == "gpu"


def test_the_demo_names_its_stages_and_data() -> None:
    demo = _compose("demo", ["pipeline.num_samples=48", "pipeline.out_dir=/tmp/demo/data"])
    assert demo_banner(demo) == (
        "widget2code · demo: align → sft → grpo, then evaluation · model: each stage's own, named as it starts"
        f" · data: 48 synthetic widgets → /tmp/demo/data · device: {CPU}")

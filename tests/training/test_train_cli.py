"""`python scripts/train.py ...` as users call it: runs, sweeps, DDP, loggers, Ctrl-C and bad input.

Every subprocess pays the imports (15-30 s here), so each test checks as much as one run shows.
Runs are tiny (the tiny GLM-4V, 2 steps of 4 samples = one epoch with its validation) and write under
pytest's tmp_path through `hydra.run.dir` / `hydra.sweep.dir`.
"""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from training_runs import tiny_overrides

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "train.py"
#: Generation samples of 2 validation screenshots, 8 new tokens each: the callback's whole path, cheaply.
SAMPLES = ["callbacks.generation_samples.num_samples=2", "callbacks.generation_samples.max_new_tokens=8"]
#: No callbacks (no renderer to start) for the runs that check something else.
BARE = ["callbacks=none", "logger=csv"]

pytestmark = pytest.mark.slow


def command(*args: str) -> list[str]:
    return [sys.executable, str(SCRIPT), *args]


def environment(**extra: str) -> dict[str, str]:
    return {**os.environ, "WANDB_MODE": "offline", "WANDB_SILENT": "true", "HF_HUB_OFFLINE": "1", **extra}


def run(*args: str, timeout: float = 900, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command(*args), cwd=ROOT, env=environment(**env), capture_output=True, text=True,
                          timeout=timeout, check=False)


def tiny(dataset: Path, *extra: str) -> list[str]:
    return ["experiment=sft_tiny", *tiny_overrides(dataset, steps=2, batch_size=4), *extra]


def metrics(run_dir: Path) -> list[dict[str, str]]:
    return list(csv.DictReader((run_dir / "csv" / "metrics.csv").open()))


def logged(rows: list[dict[str, str]], key: str) -> list[float]:
    return [float(row[key]) for row in rows if row.get(key)]


def explain(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n--- stdout\n{result.stdout[-3000:]}\n--- stderr\n{result.stderr[-3000:]}"


def error_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stderr.splitlines() if line.startswith("error:")]


@pytest.fixture(scope="module")
def sft_tiny_run(widget_dataset: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """One sft_tiny run with every logger and generation samples: its directory, and what went wrong."""
    run_dir = tmp_path_factory.mktemp("sft_tiny") / "run"
    result = run(*tiny(widget_dataset, *SAMPLES, "logger=many", "test=true", "trainer.limit_test_batches=1",
                       f"hydra.run.dir={run_dir}"))
    return run_dir, "" if result.returncode == 0 else explain(result)


def test_sft_tiny_end_to_end_with_csv_wandb_offline_and_tensorboard(sft_tiny_run: tuple[Path, str]) -> None:
    run_dir, failure = sft_tiny_run
    assert not failure, failure

    rows = metrics(run_dir)
    assert len(logged(rows, "train/loss")) == 2 and logged(rows, "val/loss") and logged(rows, "test/loss")
    assert len(logged(rows, "train/token_acc")) == 2 and logged(rows, "val/token_acc")
    assert logged(rows, "samples/render_rate") and logged(rows, "perf/tokens_per_s")
    assert (run_dir / "checkpoints" / "last.ckpt").is_file()
    assert {"config.json", "model.safetensors", "tokenizer.json"} <= {p.name for p in (run_dir / "adapter").iterdir()}
    assert list((run_dir / "samples").glob("*/index.html")), "the sample gallery"
    assert list((run_dir / "tensorboard").glob("events.out.tfevents.*"))

    (wandb_run,) = (run_dir / "wandb").glob("offline-run-*")
    assert list(wandb_run.glob("run-*.wandb")), "the offline run's data file"
    tables = list((wandb_run / "files" / "media" / "table").rglob("*.table.json"))
    assert tables and "screenshot" in tables[0].read_text(), "the sample table with its image columns"


def test_ctrl_c_exits_130_with_the_resume_note_and_a_checkpoint(widget_dataset: Path, tmp_path: Path) -> None:
    run_dir, log = tmp_path / "run", tmp_path / "out.txt"
    args = tiny(widget_dataset, "callbacks.generation_samples=null", "logger=csv", "trainer.max_steps=1000",
                "trainer.max_epochs=-1", f"hydra.run.dir={tmp_path / 'hydra'}", f"paths.output_dir={run_dir}")
    with log.open("w") as out:
        process = subprocess.Popen(command(*args), cwd=ROOT, env=environment(), stdout=out, stderr=subprocess.STDOUT,
                                   text=True)
        try:
            deadline = time.monotonic() + 600
            while "Total params" not in log.read_text():  # the model summary: fit has begun
                assert process.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
                time.sleep(0.5)
            time.sleep(2)
            process.send_signal(signal.SIGINT)
            code = process.wait(timeout=300)
        finally:
            if process.poll() is None:
                process.kill()
    saved = run_dir / "checkpoints" / "on_exception.ckpt"
    output = log.read_text()
    assert code == 130, output[-3000:]
    assert f"interrupted: the run directory is {run_dir}" in output and f"ckpt_path={saved}" in output
    assert saved.is_file()


def test_multirun_gives_each_job_its_directory(widget_dataset: Path, tmp_path: Path) -> None:
    sweep = tmp_path / "multi"
    result = run("-m", *tiny(widget_dataset, *BARE, "module.optimizer.lr=1e-4,3e-4", f"hydra.sweep.dir={sweep}"))
    assert result.returncode == 0, explain(result)
    for job, lr in (("0", "0.0001"), ("1", "0.0003")):
        assert f"module.optimizer.lr={lr}" in (sweep / job / ".hydra" / "overrides.yaml").read_text().replace(
            "1e-4", "0.0001").replace("3e-4", "0.0003")
        assert logged(metrics(sweep / job), "val/loss")


def test_optuna_sweep_runs_its_trials_and_reports_the_best(widget_dataset: Path, tmp_path: Path) -> None:
    sweep = tmp_path / "optuna"
    result = run("-m", *tiny(widget_dataset, *BARE, "hparams_search=sft_optuna", "hydra.sweeper.n_trials=2",
                             f"hydra.sweep.dir={sweep}"))
    assert result.returncode == 0, explain(result)
    best = yaml.safe_load((sweep / "optimization_results.yaml").read_text())
    assert set(best["best_params"]) == {"module.optimizer.lr", "peft.r", "module.optimizer.warmup"}
    values = [logged(metrics(sweep / trial), "val/loss")[-1] for trial in ("0", "1")]
    assert best["best_value"] == pytest.approx(min(values), rel=1e-5)  # what train.py returned: val/loss


def test_ddp_cpu_runs_two_processes(widget_dataset: Path, tmp_path: Path) -> None:
    run_dir = tmp_path / "ddp"
    result = run(*tiny(widget_dataset, *BARE, "trainer=ddp_cpu", f"hydra.run.dir={run_dir}"))
    assert result.returncode == 0, explain(result)
    assert "Starting with 2 processes" in result.stdout + result.stderr
    assert (run_dir / "train_ddp_process_1.log").is_file()  # the second rank ran the same script
    # sft_tiny trains one epoch: 8 training records shared by 2 ranks in batches of 4 make it one step
    # (one rank alone, or both on every record, would take two)
    rows = metrics(run_dir)
    assert len(logged(rows, "train/loss")) == 1 and len(logged(rows, "val/loss")) == 1


def test_bad_input_fails_with_one_line_naming_it(
    widget_dataset: Path, sft_tiny_run: tuple[Path, str], tmp_path: Path
) -> None:
    missing = tmp_path / "no-such-dataset"
    other_experiment = sft_tiny_run[0] / "checkpoints" / "last.ckpt"  # resumed with other adapters below
    cases = {  # run side by side: each pays the imports, little else
        "dataset": (["experiment=sft_tiny", f"data.dataset_dir={missing}", "data_build=null"], {}),
        "experiment": (["experiment=no_such_experiment"], {}),
        "hub": ([f"data.dataset_dir={widget_dataset}", "data_build=null", "model=glm41v_9b", "test=false"],
                {"HF_HUB_OFFLINE": "1"}),
        "checkpoint": ([*tiny(widget_dataset, *BARE, "peft=lora_tiny"), f"ckpt_path={other_experiment}"], {}),
        "grpo": (["experiment=grpo_tiny", f"data.dataset_dir={widget_dataset}", "data_build=null",
                  "module.grpo.loss_type=cispo"], {}),
    }
    assert other_experiment.is_file(), sft_tiny_run[1]
    processes = {
        name: subprocess.Popen(command(*args, f"hydra.run.dir={tmp_path / name}"), cwd=ROOT,
                               env=environment(**env), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for name, (args, env) in cases.items()
    }
    results = {}
    for name, process in processes.items():
        stdout, stderr = process.communicate(timeout=900)
        results[name] = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
        assert "Traceback" not in stderr, explain(results[name])

    dataset = results["dataset"]
    assert dataset.returncode == 2, explain(dataset)
    (line,) = error_lines(dataset)
    assert f"no dataset at {missing}" in line and "make data" in line

    experiment = results["experiment"]
    assert experiment.returncode != 0, explain(experiment)
    assert "Could not find 'experiment/no_such_experiment'" in experiment.stderr

    hub = results["hub"]
    assert hub.returncode == 2, explain(hub)
    (line,) = error_lines(hub)
    assert "zai-org/GLM-4.1V-9B-Thinking" in line and "Fix: download it on a connected machine" in line

    checkpoint = results["checkpoint"]
    assert checkpoint.returncode == 2, explain(checkpoint)
    (line,) = error_lines(checkpoint)
    assert "CheckpointMismatchError: the checkpoint comes from another experiment" in line

    grpo = results["grpo"]
    assert grpo.returncode == 2, explain(grpo)
    (line,) = error_lines(grpo)
    assert "GRPOConfigError: grpo.loss_type must be one of" in line and "'cispo'" in line

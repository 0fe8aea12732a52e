"""`logger=wandb` without a W&B login: one line and exit 2 before anything trains, for a run and a sweep;
offline, a sweep logs each trial to its own W&B run. Every process gets an empty HOME and no WANDB_*
variables, so no real key is found; nothing contacts the network (no key means no upload, and offline
runs never connect)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
import yaml
from training_runs import tiny_overrides

from widget2code.entry import USAGE_EXIT_CODE
from widget2code.training.wandb_login import wandb_login_problem

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "train.py"
SWEEP = ["hparams_search=sft_optuna", "hydra.sweeper.n_trials=2"]
#: What a user without W&B credentials has: no key anywhere W&B looks.
CREDENTIALS = ("WANDB_API_KEY", "WANDB_IDENTITY_TOKEN_FILE", "WANDB_MODE", "WANDB_CONFIG_DIR", "NETRC",
               "WANDB_BASE_URL")


def train(home: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {key: value for key, value in os.environ.items() if key not in CREDENTIALS}
    return subprocess.run([sys.executable, str(SCRIPT), *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=900, check=False, stdin=subprocess.DEVNULL,
                          env={**base, "HOME": str(home), "HF_HUB_OFFLINE": "1", **env})


def explain(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n--- stdout\n{result.stdout[-3000:]}\n--- stderr\n{result.stderr[-3000:]}"


def tiny(dataset: Path, *extra: str) -> list[str]:
    return ["experiment=sft_tiny", *tiny_overrides(dataset, steps=2, batch_size=4), "callbacks=none",
            "logger=wandb", *extra]


def assert_refused(result: subprocess.CompletedProcess[str], run_dir: Path) -> None:
    assert result.returncode == USAGE_EXIT_CODE, explain(result)
    (line,) = [line for line in result.stderr.splitlines() if line.strip() and "[HYDRA]" not in line
               and "A new study created" not in line]  # Optuna's own line when a sweep starts
    assert line.startswith("error: TrainConfigError: logger.wandb logs to W&B, which needs a login")
    for remedy in ("`wandb login`", "logger.wandb.offline=true", "WANDB_MODE=offline"):
        assert remedy in line
    assert "Traceback" not in result.stderr and "widget2code ·" not in result.stdout  # before the banner
    assert not list(run_dir.rglob("wandb")) and not list(run_dir.rglob("*.ckpt"))


@pytest.mark.slow
def test_a_run_without_a_login_ends_at_once_in_one_line(widget_dataset: Path, tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    assert_refused(train(tmp_path, *tiny(widget_dataset, f"hydra.run.dir={run_dir}")), run_dir)


@pytest.mark.slow
def test_a_sweep_without_a_login_ends_before_its_first_trial_trains(widget_dataset: Path, tmp_path: Path) -> None:
    sweep = tmp_path / "sweep"
    assert_refused(train(tmp_path, "-m", *tiny(widget_dataset, *SWEEP, f"hydra.sweep.dir={sweep}")), sweep)
    assert not (sweep / "optimization_results.yaml").exists()


@pytest.mark.slow
def test_an_offline_sweep_logs_each_trial_to_its_own_wandb_run(widget_dataset: Path, tmp_path: Path) -> None:
    sweep = tmp_path / "sweep"
    result = train(tmp_path, "-m", *tiny(widget_dataset, *SWEEP, f"hydra.sweep.dir={sweep}"), WANDB_MODE="offline")
    assert result.returncode == 0, explain(result)
    best = yaml.safe_load((sweep / "optimization_results.yaml").read_text())
    assert set(best["best_params"]) == {"module.optimizer.lr", "peft.r", "module.optimizer.warmup"}
    for trial in ("0", "1"):  # each trial its own run (Lightning would hand trial 1 the run of trial 0)
        (offline_run,) = (sweep / trial / "wandb").glob("offline-run-*")
        assert list(offline_run.glob("run-*.wandb"))
    assert "already in progress" not in result.stderr
    banners = [line for line in result.stdout.splitlines() if line.startswith("widget2code · sft_tiny (sft")]
    assert len(banners) == 2  # each trial announces itself


def test_only_an_online_wandb_logger_needs_a_login(monkeypatch: pytest.MonkeyPatch) -> None:
    # decided from the config and the environment alone: wandb is not asked (nor imported for it)
    wandb = {"_target_": "lightning.pytorch.loggers.WandbLogger", "offline": False}
    csv = {"_target_": "lightning.pytorch.loggers.CSVLogger"}
    monkeypatch.delenv("WANDB_MODE", raising=False)
    assert wandb_login_problem(None) is None and wandb_login_problem({"csv": csv, "wandb": None}) is None
    assert wandb_login_problem({"wandb": {**wandb, "offline": True}}) is None
    assert wandb_login_problem({"wandb": {**wandb, "mode": "disabled"}}) is None
    monkeypatch.setenv("WANDB_MODE", "offline")
    assert wandb_login_problem({"csv": csv, "wandb": wandb}) is None


@pytest.mark.slow
@pytest.mark.parametrize("found", ["WANDB_API_KEY", "netrc", "wandb offline"])
def test_credentials_or_offline_settings_wherever_wandb_finds_them_pass(found: str, tmp_path: Path) -> None:
    key = "0123456789abcdef" * 2 + "01234567"  # a well-formed (40 characters), unused key: never verified
    env = {key: value for key, value in os.environ.items() if key not in CREDENTIALS} | {"HOME": str(tmp_path)}
    if found == "WANDB_API_KEY":
        env["WANDB_API_KEY"] = key
    elif found == "netrc":
        (tmp_path / ".netrc").write_text(f"machine api.wandb.ai\n  login user\n  password {key}\n")
        (tmp_path / ".netrc").chmod(0o600)
    else:  # what `wandb offline` writes
        (tmp_path / ".config" / "wandb").mkdir(parents=True)
        (tmp_path / ".config" / "wandb" / "settings").write_text("[default]\nmode = offline\n")
    result = login_check(env)
    assert result.returncode == 0 and result.stdout.strip() == "None", explain(result)


def login_check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`wandb_login_problem` for an online W&B logger, in a process of its own with `env`."""
    check = ("from widget2code.training.wandb_login import wandb_login_problem as p; "
             "print(p({'wandb': {'_target_': 'lightning.pytorch.loggers.WandbLogger', 'offline': False}}))")
    return subprocess.run([sys.executable, "-c", check], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300, check=False, stdin=subprocess.DEVNULL)


class _RecordingHandler(BaseHTTPRequestHandler):
    seen: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.seen.append(f"{self.command} {self.path}")
        self.send_response(500)
        self.end_headers()

    do_POST = do_GET

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.slow
def test_the_login_check_sends_nothing_to_the_server_it_finds_a_key_for(tmp_path: Path) -> None:
    """Credentials are looked up, never sent: before, a found key made wandb ask the server for the user's
    name (on a machine with no network, a DNS stall of minutes before the run could start)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _RecordingHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        env = {k: v for k, v in os.environ.items() if k not in CREDENTIALS} | {
            "HOME": str(tmp_path), "WANDB_API_KEY": "0123456789abcdef" * 2 + "01234567",
            "WANDB_BASE_URL": f"http://127.0.0.1:{server.server_port}"}
        result = login_check(env)
    finally:
        server.shutdown()
    assert result.returncode == 0 and result.stdout.strip() == "None", explain(result)
    assert _RecordingHandler.seen == [], f"the login check contacted the W&B server: {_RecordingHandler.seen}"

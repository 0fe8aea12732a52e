"""`make demo`: the project's main job on its embedded default, end to end on the CPU.

1. data: synthesise demo-tier widgets, render-verify, dedup, tag difficulty, split (the data pipeline);
2. training: each stage of `cfg.stages` is an experiment composed with `conf/train.yaml` and run by
   `training.run.train`, exactly as `scripts/train.py experiment=<name>` would: caption alignment, SFT,
   then GRPO, each starting from the model the stage before exported;
3. evaluation: the untrained model, and the model after each stage, on the held-out test split
   (`evaluation.runner.evaluate`: render rate, reward, conditioning gap with its 95 % interval, the
   Widget2Code metrics), each with its own report;
4. report: `report/index.html` comparing them, with the training curves and side-by-side samples.
"""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hydra import compose
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf
from rich.console import Console

from widget2code.data.manifest import read_manifest
from widget2code.data.pipeline import run as run_pipeline
from widget2code.evaluation.plots import line_chart
from widget2code.evaluation.references import from_manifest
from widget2code.evaluation.report import Card, Report, Table
from widget2code.evaluation.results import Summary
from widget2code.evaluation.runner import compare, evaluate
from widget2code.files import atomic_write_text
from widget2code.inference.generate import SamplingConfig
from widget2code.inference.model_predictor import ModelPredictor
from widget2code.models.adapters import load_for_inference
from widget2code.models.factory import LoadedModel, load_pretrained
from widget2code.render import Renderer
from widget2code.rewards.base import Reward
from widget2code.training.run import train

STAGE_DONE = "stage_done.json"


def stage_config(stage: DictConfig, dataset_dir: Path, run_dir: Path, previous: Path | None,
                 seed: int, extra: list[str]) -> DictConfig:
    """The stage's training config: its experiment, on this dataset, writing under `<run dir>/<name>`."""
    overrides = [o.format(previous=previous) for o in stage.overrides]
    return compose(config_name="train", overrides=[
        *overrides, f"data.dataset_dir={dataset_dir}", f"paths.output_dir={run_dir / stage.name}",
        f"seed={seed}", "data_build=null", *extra])


def trained_model(cfg: DictConfig) -> LoadedModel:
    """The model a stage exported: a whole model (full fine-tune) or its adapter on the stage's base."""
    export = Path(cfg.paths.output_dir) / "adapter"
    if (export / "adapter_config.json").is_file():
        return load_for_inference(instantiate(cfg.model), adapter_path=export)
    return load_for_inference(load_pretrained(str(export), dtype="float32", local_files_only=True))


def curve(csv_path: Path, metric: str) -> list[tuple[int, float]]:
    """(step, value) pairs of one metric from a CSVLogger's metrics.csv."""
    if not csv_path.is_file():
        return []
    with csv_path.open(newline="") as handle:
        return [(int(row["step"]), float(row[metric])) for row in csv.DictReader(handle)
                if row.get(metric) not in (None, "")]


def run(cfg: DictConfig, run_dir: Path, console: Console | None = None) -> Path:
    console = console or Console()
    started = time.perf_counter()
    report = Report(run_dir / "report", title="widget2code demo: a tiny VLM learns to see, on a CPU")

    console.rule("[bold]1 · data")
    stage_reports = run_pipeline(cfg.pipeline, console=console)
    dataset_dir = Path(cfg.pipeline.out_dir)
    records = read_manifest(dataset_dir)
    splits = {name: sum(r.split == name for r in records) for name in ("train", "val", "test")}
    data = report.section("Data", f"{len(records)} demo-tier widgets in {dataset_dir} ({splits}).")
    data.tables.append(Table("Pipeline stages", ["stage", "in", "kept", "why dropped", "seconds"], [
        [r.stage, r.inputs, r.kept, ", ".join(f"{k}: {v}" for k, v in r.dropped.items()) or "-", round(r.seconds, 1)]
        for r in stage_reports]))

    stages: dict[str, DictConfig] = {}
    previous: Path | None = None
    timings: dict[str, float] = {}
    for stage in cfg.stages:
        console.rule(f"[bold]2 · training: {stage.name}")
        stage_cfg = stage_config(stage, dataset_dir, run_dir, previous, cfg.seed, list(cfg.stage_overrides))
        done = Path(stage_cfg.paths.output_dir) / STAGE_DONE
        if done.is_file():  # a rerun into the same run directory resumes after the last finished stage
            timings[stage.name] = json.loads(done.read_text())["seconds"]
            console.print(f"{stage.name}: finished in an earlier run, its export is reused")
        else:
            began = time.perf_counter()
            train(stage_cfg)
            timings[stage.name] = time.perf_counter() - began
            atomic_write_text(done, json.dumps({"seconds": timings[stage.name]}))
        stages[stage.name] = stage_cfg
        previous = Path(stage_cfg.paths.output_dir) / "adapter"

    console.rule("[bold]3 · evaluation on the held-out test split")
    references = from_manifest(dataset_dir, split="test")
    reward: Reward = instantiate(cfg.reward)
    first = next(iter(stages.values()))
    models: dict[str, Any] = {"untrained": lambda: load_for_inference(instantiate(first.model))}
    models |= {name: (lambda c=c: trained_model(c)) for name, c in stages.items() if name in cfg.evaluate.stages}
    summaries: dict[str, Summary] = {}
    metric_sets = [instantiate(m) for m in (cfg.evaluate.get("metrics") or {}).values() if m]
    with Renderer(settings=instantiate(cfg.renderer.settings), slots=1,
                  cache_dir=cfg.renderer.cache_dir) as renderer:
        for name, load in models.items():
            loaded = load()
            predictor = ModelPredictor(
                loaded.model, loaded.processor, renderer, reward, mode="single", name=name,
                sampling=SamplingConfig(max_new_tokens=cfg.evaluate.max_new_tokens, do_sample=False),
                image_size=first.data.image_size, pad_color=first.data.pad_color)
            summaries[name] = evaluate(references, predictor, renderer, reward, run_dir / "eval" / name,
                                       metric_sets=metric_sets, batch_size=cfg.evaluate.batch_size, resume=False, seed=cfg.seed,
                                       gap_max_others=cfg.evaluate.gap_max_others,
                                       description=f"{dataset_dir} (test split)", console=console)
    _results_section(report, summaries, timings, run_dir)
    _curves_section(report, stages)
    path = report.write()
    console.print(_results_table(summaries))
    console.print(f"[green]demo finished in {time.perf_counter() - started:.0f} s; report: {path}")
    return path


def _results_table(summaries: Mapping[str, Summary]) -> Table:
    rows = []
    for name, summary in summaries.items():
        gap = summary.conditioning_gap
        rows.append([name, f"{summary.render_success_rate:.0%}", _fmt(summary.metrics.get("reward")),
                     f"{_fmt(gap.get('value'))} [{_fmt(gap.get('low'))}, {_fmt(gap.get('high'))}]"])
    return Table("Held-out test split", ["model", "renders", "mean reward", "conditioning gap [95 % CI]"], rows)


def _results_section(report: Report, summaries: Mapping[str, Summary], timings: Mapping[str, float],
                     run_dir: Path) -> None:
    section = report.section(
        "Results", "Each model writes code for every held-out screenshot (greedy). The conditioning gap is a "
        "prediction's reward against its own screenshot minus its mean reward against the others: about 0 for "
        "a model that writes the same widget whatever it sees, positive for one that looks. Each model's own "
        "report (metric table, histograms, best and worst samples) is linked below.")
    section.tables.append(_results_table(summaries))
    if len(summaries) > 1:
        section.tables.append(compare(summaries))
    section.tables.append(Table("Training stages", ["stage", "seconds"], [[k, round(v)] for k, v in timings.items()]))
    section.tables.append(Table("Per-model reports", ["model", "report"], [
        [name, str((run_dir / "eval" / name / "report" / "index.html").relative_to(run_dir))] for name in summaries]))


def _curves_section(report: Report, stages: Mapping[str, DictConfig]) -> None:
    section = report.section("Training curves", "From each stage's CSV log (metrics.csv).")
    for name, cfg in stages.items():
        metrics_csv = Path(cfg.paths.output_dir) / "csv" / "metrics.csv"
        series = {metric: curve(metrics_csv, metric) for metric in
                  ("train/loss", "val/loss", "train/reward", "val/reward", "samples/render_rate")}
        series = {k: v for k, v in series.items() if v}
        if series:
            section.cards.append(Card(title=name, images=[(
                "curves", report.add_image(f"curve-{name}", line_chart(series, f"{name}", "step")))],
                figures={"config": OmegaConf.select(cfg, "task_name")}))


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"

"""`make demo`: the project's main job on its embedded default, end to end on the CPU.

1. data: synthesise demo-tier widgets, render-verify, dedup, tag difficulty, split (the data pipeline);
2. training: each stage of `cfg.stages` is an experiment composed with `conf/train.yaml` and run by
   `training.run.train`, exactly as `scripts/train.py experiment=<name>` would: caption alignment, SFT,
   then GRPO, each starting from the model the stage before exported;
3. evaluation: the untrained model, and the model after each stage, on the held-out test split
   (`evaluation.runner.evaluate`: render rate, reward, conditioning gap with its 95 % interval, the
   Widget2Code metrics; for the trained stages also k completions sampled at GRPO's training
   temperature, what GRPO optimises), each with its own report;
4. report: `report/index.html` comparing them (each stage against the one before, paired over the same
   screenshots with 95 % intervals), with the training curves and side-by-side samples.
"""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Mapping
from itertools import pairwise
from pathlib import Path
from typing import Any

from hydra import compose
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf
from rich.console import Console

from widget2code.banner import demo_banner
from widget2code.data.manifest import read_manifest
from widget2code.data.pipeline import run as run_pipeline
from widget2code.evaluation.plots import line_chart
from widget2code.evaluation.references import from_manifest
from widget2code.evaluation.report import Card, Report, Table
from widget2code.evaluation.results import RunResults, paired_differences
from widget2code.evaluation.runner import compare, evaluate
from widget2code.evaluation.sampled import SampledMode
from widget2code.evaluation.stats import Interval
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
    console.print(demo_banner(cfg), markup=False, highlight=False, soft_wrap=True)
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
    sampled = sampled_mode(cfg.evaluate.sampled, stages, console)
    metric_sets = [instantiate(m) for m in (cfg.evaluate.get("metrics") or {}).values() if m]
    with Renderer(settings=instantiate(cfg.renderer.settings), slots=1,
                  cache_dir=cfg.renderer.cache_dir) as renderer:
        for name, load in models.items():
            loaded = load()
            predictor = ModelPredictor(
                loaded.model, loaded.processor, renderer, reward, mode="single", name=name,
                sampling=SamplingConfig(max_new_tokens=cfg.evaluate.max_new_tokens, do_sample=False),
                image_size=first.data.image_size, pad_color=first.data.pad_color)
            evaluate(references, predictor, renderer, reward, run_dir / "eval" / name,
                     metric_sets=metric_sets, batch_size=cfg.evaluate.batch_size, resume=False, seed=cfg.seed,
                     gap_max_others=cfg.evaluate.gap_max_others, description=f"{dataset_dir} (test split)",
                     console=console, sampled=sampled if name in cfg.evaluate.sampled.models else None)
    runs = {name: RunResults.load(run_dir / "eval" / name) for name in models}
    evaluated = [name for name in cfg.evaluate.stages if name in runs]
    paired = {(before, after): paired_differences(runs[before], runs[after], seed=cfg.seed)
              for before, after in pairwise(evaluated)}
    _results_section(report, runs, paired, timings, run_dir)
    _curves_section(report, stages)
    path = report.write()
    console.print(_results_table(runs))
    if paired:
        console.print(_paired_table(paired))
    console.print(f"[green]demo finished in {time.perf_counter() - started:.0f} s; report: {path}")
    return path


def sampled_mode(settings: DictConfig, stages: Mapping[str, DictConfig], console: Console) -> SampledMode | None:
    """`settings.k` sampled completions per screenshot at the temperature and top_p GRPO trains with: the
    settings' own, else the (last) GRPO stage's `module.grpo` values. None when k is 0."""
    if not settings.k:
        return None
    grpo = [c.module.grpo for c in stages.values() if OmegaConf.select(c, "module.grpo.temperature") is not None]
    if not grpo and (settings.temperature is None or settings.top_p is None):
        console.print("no GRPO stage: sampled decoding at GRPO's default temperature 1.0 and top_p 1.0")
    temperature = settings.temperature if settings.temperature is not None else grpo[-1].temperature if grpo else 1.0
    top_p = settings.top_p if settings.top_p is not None else grpo[-1].top_p if grpo else 1.0
    return SampledMode(k=settings.k, temperature=temperature, top_p=top_p)


def _results_table(runs: Mapping[str, RunResults]) -> Table:
    rows = []
    for name, run in runs.items():
        summary, sampled = run.summary, run.summary.sampled or {}
        rows.append([name, f"{summary.render_success_rate:.0%}", _fmt(summary.metrics.get("reward")),
                     f"{sampled['render_success_rate']['value']:.0%}" if sampled else "—",
                     _with_interval(sampled.get("reward")), _fmt((sampled.get("best_of_k_reward") or {}).get("value")),
                     _with_interval(summary.conditioning_gap)])
    k = next((run.summary.sampled["k"] for run in runs.values() if run.summary.sampled), "k")
    return Table("Held-out test split (greedy, then sampled)", [
        "model", "renders", "mean reward", "sampled renders", "sampled reward [95 % CI]", f"best-of-{k}",
        "conditioning gap [95 % CI]"], rows)


def _paired_table(paired: Mapping[tuple[str, str], Mapping[str, Interval]]) -> Table:
    names = {"reward": "greedy reward", "sampled/reward": "sampled reward",
             "render_success_rate": "greedy renders", "sampled/render_success_rate": "sampled renders"}
    return Table("Paired differences over the same screenshots (Δ [95 % CI], references resampled in pairs)",
                 ["", *names.values()],
                 [[f"{after.upper()} − {before.upper()} (paired)",
                   *(_with_interval(differences[key].as_dict(), signed=True) if key in differences else "—"
                     for key in names)]
                  for (before, after), differences in paired.items()])


def _results_section(report: Report, runs: Mapping[str, RunResults],
                     paired: Mapping[tuple[str, str], Mapping[str, Interval]], timings: Mapping[str, float],
                     run_dir: Path) -> None:
    section = report.section(
        "Results", "Each model writes code for every held-out screenshot, greedy, and (for the trained stages) "
        "samples several more at GRPO's training temperature: the sampled reward, the mean over those samples, "
        "is what GRPO maximises; best-of-k keeps each screenshot's best sample. Differences between stages are "
        "paired: each screenshot's score under one model minus under the other, with a bootstrap interval over "
        "screenshots. The conditioning gap is a prediction's reward against its own screenshot minus its mean "
        "reward against the others: about 0 for a model that writes the same widget whatever it sees, positive "
        "for one that looks. Each model's own report (metric table, histograms, best and worst samples) is "
        "linked below.")
    section.tables.append(_results_table(runs))
    if paired:
        section.tables.append(_paired_table(paired))
    if len(runs) > 1:
        section.tables.append(compare(runs))
    section.tables.append(Table("Training stages", ["stage", "seconds"], [[k, round(v)] for k, v in timings.items()]))
    section.tables.append(Table("Per-model reports", ["model", "report"], [
        [name, str((run_dir / "eval" / name / "report" / "index.html").relative_to(run_dir))] for name in runs]))


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


def _fmt(value: float | None, signed: bool = False) -> str:
    return "—" if value is None else f"{value:+.3f}" if signed else f"{value:.3f}"


def _with_interval(block: Mapping[str, Any] | None, signed: bool = False) -> str:
    """value [low, high] from a {value, low, high} block (— where there is none)."""
    if not block or block.get("value") is None:
        return "—"
    if block.get("low") is None:
        return _fmt(block["value"], signed)
    return f"{_fmt(block['value'], signed)} [{_fmt(block['low'], signed)}, {_fmt(block['high'], signed)}]"

"""The whole data pipeline from one Hydra config (`conf/data_pipeline.yaml`, run by `scripts/build_data.py`).

    source (build | collect_widget_factory | generate_synthetic_llm) -> out_dir/raw
      -> render_verify -> dedup -> difficulty -> split -> annotate      each in out_dir/stages/<name>
      -> out_dir/manifest.jsonl (the final dataset) and out_dir/pipeline_report.json

Each stage writes its own dataset dir, so it can be inspected and rerun alone. A finished stage leaves
a marker holding a fingerprint of its input manifest and settings: a rerun with nothing changed
skips it (no browser started, no request sent), and an interrupted stage resumes where it stopped.
The renderer and the LLM client are created only when a stage that runs needs them.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from hydra.errors import InstantiationException
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from widget2code.data.manifest import MANIFEST, iter_manifest, read_manifest, write_manifest
from widget2code.data.progress import make_progress
from widget2code.data.stages.annotate import annotate
from widget2code.data.stages.base import StageReport, rebase, write_json
from widget2code.data.stages.build import build_synthetic
from widget2code.data.stages.collect import collect_widget_factory, generate_synthetic_llm
from widget2code.data.stages.dedup import dedup
from widget2code.data.stages.difficulty import tag_difficulty
from widget2code.data.stages.render_verify import render_verify
from widget2code.data.stages.split import SplitConfigError, check_ratios, split
from widget2code.llm import LLMError, OpenAICompatibleClient
from widget2code.render import Renderer, RenderResult, RenderSettings

SOURCES = ("synthetic", "widget_factory", "llm_synthetic")
PROCESSING = ("render_verify", "dedup", "difficulty", "split", "annotate")
MARKER = "stage_done.json"
REPORT = "pipeline_report.json"


class PipelineConfigError(ValueError):
    """The pipeline config asks for something impossible."""


class LazyRenderer:
    """Starts a `Renderer` (Chromium + Node) on its first render, so skipped stages cost nothing."""

    def __init__(self, renderer: Renderer, stack: contextlib.ExitStack) -> None:
        self.settings: RenderSettings = renderer.settings
        self._renderer, self._stack, self._started = renderer, stack, False

    def render_many(self, sources: Sequence[object], progress: bool | str = False) -> list[RenderResult]:
        if not self._started:
            self._stack.enter_context(self._renderer)
            self._started = True
        return self._renderer.render_many(sources, progress=progress)


class _Services:
    """The renderer and the LLM client, each built on first use and closed at the end."""

    def __init__(self, cfg: DictConfig, stack: contextlib.ExitStack) -> None:
        self._cfg = cfg
        self.renderer = LazyRenderer(instantiate(cfg.render), stack)  # not started yet
        self._client: OpenAICompatibleClient | None = None

    def client(self) -> OpenAICompatibleClient:
        if self._client is None:
            try:
                self._client = instantiate(self._cfg.llm)
            except InstantiationException as err:  # surface the client's own error (e.g. no API key) as is
                if isinstance(err.__cause__, LLMError):
                    raise err.__cause__ from None
                raise
        return self._client


def run(cfg: DictConfig, console: Console | None = None) -> list[StageReport]:
    """Run every enabled stage; returns their reports (also printed as a table and saved as JSON)."""
    kind = cfg.data_source.kind
    if kind not in SOURCES:
        raise PipelineConfigError(f"data_source.kind must be one of {', '.join(SOURCES)}, got {kind!r}")
    count = cfg.num_samples
    every_screenshot = count is None and kind == "widget_factory"
    if not every_screenshot and (isinstance(count, bool) or not isinstance(count, int) or count < 1):
        null = " (or null: every screenshot)" if kind == "widget_factory" else ""
        raise PipelineConfigError(f"num_samples must be a positive whole number{null}, got {count!r}")
    if cfg.stages.split.enabled:
        try:
            check_ratios(dict(cfg.stages.split.ratios))  # before any stage runs
        except SplitConfigError as err:
            raise PipelineConfigError(f"stages.split.ratios: {err}") from None
    if kind != "widget_factory" and not cfg.stages.render_verify.enabled:
        raise PipelineConfigError(f"source {kind!r} gets its images from render_verify: keep "
                                  "stages.render_verify.enabled=true")
    console = console or Console()
    out = Path(cfg.out_dir)
    start = time.perf_counter()
    reports: list[StageReport] = []
    with contextlib.ExitStack() as stack, make_progress(console) as progress:
        services = _Services(cfg, stack)
        current = out / "raw"
        reports.append(_run_marked("source", current, _source_params(cfg), None,
                                   lambda: _run_source(cfg, current, services, progress)))
        for name in PROCESSING:
            stage_cfg = cfg.stages[name]
            if not stage_cfg.enabled:
                continue
            in_dir, out_dir = current, out / "stages" / name
            run_one = _processing_stage(name, cfg, in_dir, out_dir, services, progress)
            reports.append(_run_marked(name, out_dir, _stage_params(cfg, name), in_dir, run_one))
            current = out_dir
    final = [rebase(r, current, out) for r in read_manifest(current)]
    write_manifest(out, final)
    total = time.perf_counter() - start
    write_json(out / REPORT, {"out_dir": str(out), "samples": len(final), "seconds": round(total, 2),
                              "config": OmegaConf.to_container(cfg, resolve=True),
                              "stages": [r.to_dict() for r in reports]})
    console.print(summary_table(reports, len(final), total, out))
    return reports


def _source_params(cfg: DictConfig) -> dict[str, Any]:
    """What decides the source stage's output (its marker's fingerprint, with no input manifest)."""
    params = {"num_samples": cfg.num_samples, "seed": cfg.seed,
              "source": OmegaConf.to_container(cfg.data_source, resolve=True)}
    if cfg.data_source.kind != "synthetic":
        params.update(model=cfg.llm.model, render=OmegaConf.to_container(cfg.render.settings, resolve=True))
    return params


def _stage_params(cfg: DictConfig, name: str) -> dict[str, Any]:
    """What decides a processing stage's output besides its input manifest (its marker's fingerprint)."""
    params: dict[str, Any] = {"seed": cfg.seed, "stage": OmegaConf.to_container(cfg.stages[name], resolve=True)}
    if name == "render_verify":
        params["render"] = OmegaConf.to_container(cfg.render.settings, resolve=True)
    if name == "annotate":
        params["model"] = cfg.llm.model
    return params


def _run_source(cfg: DictConfig, out_dir: Path, services: _Services, progress: Progress) -> StageReport:
    src = cfg.data_source
    if src.kind == "synthetic":
        categories = list(src.categories) if src.categories else None
        return build_synthetic(out_dir, num_samples=cfg.num_samples, seed=cfg.seed, categories=categories,
                               generator=src.get("generator", "full"), progress=progress)
    if src.kind == "widget_factory":
        return collect_widget_factory(src.screenshots_dir, out_dir, services.client(), services.renderer,
                                      num_samples=cfg.num_samples, workers=cfg.workers,
                                      prompt_version=src.prompt_version, max_tokens=src.max_tokens,
                                      progress=progress)
    categories = list(src.categories) if src.categories else None
    return generate_synthetic_llm(out_dir, services.client(), services.renderer, num_samples=cfg.num_samples,
                                  workers=cfg.workers, seed=cfg.seed, categories=categories,
                                  prompt_version=src.prompt_version, max_tokens=src.max_tokens, progress=progress)


def _processing_stage(name: str, cfg: DictConfig, in_dir: Path, out_dir: Path, services: _Services,
                      progress: Progress) -> Callable[[], StageReport]:
    s = cfg.stages[name]
    if name == "render_verify":
        return lambda: render_verify(in_dir, out_dir, services.renderer, threshold=s.threshold,
                                     ssim_max_side=s.ssim_max_side, chunk_size=cfg.render_chunk_size,
                                     progress=progress)
    if name == "dedup":
        return lambda: dedup(in_dir, out_dir, max_distance=s.max_distance, hash_size=s.hash_size,
                             keep_per_cluster=s.keep_per_cluster, progress=progress)
    if name == "difficulty":
        thresholds = list(s.thresholds) if s.thresholds is not None else None
        return lambda: tag_difficulty(in_dir, out_dir, instantiate(s.tokenizer) if s.tokenizer else None,
                                      thresholds=thresholds, progress=progress)
    if name == "split":
        return lambda: split(in_dir, out_dir, ratios=dict(s.ratios), seed=cfg.seed)

    def run_annotate() -> StageReport:
        needs_api = any(not r.cot for r in iter_manifest(in_dir))
        return annotate(in_dir, out_dir, services.client() if needs_api else None, prompt_version=s.prompt_version,
                        chunk_size=max(1, cfg.workers) * 2, max_tokens=s.max_tokens, progress=progress)

    return run_annotate


def _run_marked(name: str, out_dir: Path, params: dict[str, Any], in_dir: Path | None,
                run_stage: Callable[[], StageReport]) -> StageReport:
    """Run a stage unless its marker says it already ran on this very input with these settings."""
    digest = hashlib.sha256(json.dumps(params, sort_keys=True, default=str).encode())
    if in_dir is not None:
        digest.update((in_dir / MANIFEST).read_bytes())
    fingerprint = digest.hexdigest()
    marker = out_dir / MARKER
    if marker.is_file() and (out_dir / MANIFEST).is_file():
        saved = json.loads(marker.read_text(encoding="utf-8"))
        if saved.get("fingerprint") == fingerprint:
            report = StageReport.from_dict(saved["report"])
            report.skipped, report.seconds = True, 0.0
            return report
    marker.unlink(missing_ok=True)
    report = run_stage()
    if report.pending == 0:  # items left for a retry: the stage is not done
        write_json(marker, {"fingerprint": fingerprint, "report": report.to_dict()})
    return report


def summary_table(reports: Sequence[StageReport], samples: int, seconds: float, out: Path) -> Table:
    table = Table(title=f"{samples} samples in {out}/{MANIFEST} ({seconds:.1f} s)")
    for column in ("stage", "in", "kept", "dropped", "why dropped", "resumed", "time", "note"):
        table.add_column(column, justify="right" if column in ("in", "kept", "dropped", "resumed", "time") else "left")
    for r in reports:
        notes = ["up to date" if r.skipped else ""]
        if r.pending:
            notes.append(f"{r.pending} failed at the API, rerun to retry")
        usage = r.extra.get("usage")
        if usage and not r.skipped:
            notes.append(f"{int(usage['input_tokens'])}+{int(usage['output_tokens'])} tokens, "
                         f"${usage['cost_usd']:.4f}")
        why = ", ".join(f"{reason} {count}" for reason, count in r.dropped.items())
        table.add_row(r.stage, str(r.inputs), str(r.kept), str(sum(r.dropped.values())), why, str(r.resumed),
                      f"{r.seconds:.1f}s", "; ".join(n for n in notes if n))
    return table

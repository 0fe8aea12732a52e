"""Run an evaluation: predict, render, score, write the official layout, summarise, report.

    summary = evaluate(references, predictor, renderer, reward, out_dir, metric_sets=[...])

`out_dir` receives `predictions/image_XXXX/` (the official layout), `gt/` (manifest references in the
official GT layout), `samples.jsonl` (one row per reference: render outcome, reward, every metric),
`summary.json` and `report/index.html`. With `sampled=SampledMode(k, temperature)` each reference also
gets k sampled completions (`evaluation.sampled`): their mean reward, render rate and best reward in
its samples.jsonl row (`sampled_reward`, `sampled_render_rate`, `sampled_best_reward`), the candidates
in `sampled.jsonl`, and summary.json's `sampled` block with bootstrap intervals.

A rerun into the same directory keeps the finished greedy predictions (`resume=True`), so an
interrupted model run goes on where it stopped; rendering is cached by the renderer, scoring is
redone, and the sampled completions are drawn again (seeded: the same ones).

    table = compare({"sft": SFT_RUN_DIR, "grpo": GRPO_RUN_DIR})   # paired differences, 95 % intervals
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress

from widget2code.evaluation import layout
from widget2code.evaluation.errors import PredictionsError
from widget2code.evaluation.gap import conditioning_gap
from widget2code.evaluation.metrics import MetricSet, Pair, mean, render_success_rate
from widget2code.evaluation.references import Reference
from widget2code.evaluation.report import Table
from widget2code.evaluation.results import SAMPLES, SUMMARY, RunResults, Sample, Summary, paired_differences
from widget2code.evaluation.run_report import write_run_report
from widget2code.evaluation.sampled import (
    SAMPLED,
    SampledMode,
    sample_completions,
    sampling_proposer,
    summarize,
)
from widget2code.evaluation.stats import Interval
from widget2code.files import atomic_write_text
from widget2code.inference.predictor import Prediction, Predictor, Proposer
from widget2code.render import Renderer, RenderResult
from widget2code.rewards.base import Reward

BREAKDOWN_KEYS = ("category", "difficulty")


def evaluate(references: Sequence[Reference], predictor: Predictor, renderer: Renderer, reward: Reward,
             out_dir: str | os.PathLike[str], metric_sets: Sequence[MetricSet] = (), batch_size: int = 8,
             resume: bool = True, gap_max_others: int | None = 32, seed: int = 0, report: bool = True,
             gallery_size: int = 4, description: str = "", console: Console | None = None,
             sampled: SampledMode | None = None) -> Summary:
    """Evaluate `predictor` on `references`; see the module docstring for what lands in `out_dir`."""
    console = console or Console(stderr=True)
    out = Path(out_dir)
    pred_dir = out / "predictions"
    ids = [r.id for r in references]
    check_predictor(predictor, references)
    sampler = sampling_proposer(predictor, sampled) if sampled is not None else None  # fails before any work
    if not resume:
        layout.clear(pred_dir)
    if any(r.source_id for r in references):
        layout.write_references(out / "gt", list(references))

    predictions = _predict(references, predictor, pred_dir, batch_size, resume, console)
    console.print(f"rendering {sum(p.code is not None for p in predictions)} predictions")
    renders = _render(renderer, predictions)
    for reference, prediction, render in zip(references, predictions, renders, strict=True):
        layout.write_prediction(pred_dir, reference.id, prediction, render)

    console.print(f"scoring with {reward.name} and {len(metric_sets)} metric set(s)")
    images = [r.image for r in references]
    context = {"completions": [p.text for p in predictions]}  # read by the format reward
    totals = reward(images, renders, **context)
    samples = [Sample(ref, pred, render, reward=float(total))
               for ref, pred, render, total in zip(references, predictions, renders, totals, strict=True)]
    pairs = [Pair(ref.image, ref.path, render,
                  layout.sample_dir(pred_dir, ref.id) / layout.PREDICTION_PNG if render is not None and render.ok
                  else None) for ref, render in zip(references, renders, strict=True)]
    notes = _unmatched_note(predictor, ids)
    for metric_set in metric_sets:
        result = metric_set.compute(pairs)
        notes += result.notes
        for name, values in result.values.items():
            for sample, value in zip(samples, values, strict=True):
                sample.metrics[name] = value
    gap = conditioning_gap(reward, images, renders, own_scores=totals, max_others=gap_max_others, seed=seed,
                           context=context)
    (out / SAMPLED).unlink(missing_ok=True)  # an earlier run's, into the same directory
    sampled_block = (_sample(samples, sampler, renderer, reward, sampled, batch_size, seed, out, console)
                     if sampler is not None and sampled is not None else None)

    summary = Summary(n=len(samples), render_success_rate=render_success_rate(pairs),
                      metrics=_means(samples), conditioning_gap=gap.as_dict(), sampled=sampled_block,
                      breakdowns=_breakdowns(samples),
                      predictor=getattr(predictor, "name", type(predictor).__name__), reward=reward.name,
                      references=description, notes=notes)
    atomic_write_text(out / SAMPLES, "".join(json.dumps(s.row(), default=str) + "\n" for s in samples))
    atomic_write_text(out / SUMMARY, json.dumps(summary.to_dict(), indent=1))
    if report:
        path = write_run_report(out / "report", summary, samples, gallery_size=gallery_size)
        console.print(f"report: {path}")
    return summary


def check_predictor(predictor: Predictor, references: Sequence[Reference]) -> None:
    """Reject a predictor whose own inputs match none of the references (its optional `validate`)."""
    validate = getattr(predictor, "validate", None)
    if validate is not None:
        validate([r.id for r in references])


def _predict(references: Sequence[Reference], predictor: Predictor, pred_dir: Path, batch_size: int,
             resume: bool, console: Console) -> list[Prediction]:
    """Predictions in reference order: finished ones from an earlier run, the rest from the predictor."""
    found = {r.id: layout.read_prediction(pred_dir, r.id) for r in references} if resume else {}
    todo = [r for r in references if found.get(r.id) is None]
    if len(todo) < len(references):
        console.print(f"resuming: {len(references) - len(todo)} predictions kept from {pred_dir}")
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task(f"predicting ({predictor.name})", total=len(todo))
        for start in range(0, len(todo), batch_size):
            batch = todo[start:start + batch_size]
            predicted = predictor.predict([r.image for r in batch], [r.id for r in batch])
            if len(predicted) != len(batch):
                raise PredictionsError(f"predictor {predictor.name} returned {len(predicted)} predictions "
                                       f"for {len(batch)} screenshots")
            for reference, prediction in zip(batch, predicted, strict=True):
                layout.write_prediction(pred_dir, reference.id, prediction, None)
                found[reference.id] = prediction
            progress.advance(task, len(batch))
    return [found[r.id] for r in references]


def _sample(samples: Sequence[Sample], sampler: Proposer, renderer: Renderer, reward: Reward, mode: SampledMode,
            batch_size: int, seed: int, out: Path, console: Console) -> dict[str, Any]:
    """The sampled completions of every reference into its sample and sampled.jsonl; the summary block."""
    console.print(f"sampling {mode.k} completions per reference at temperature {mode.temperature:g}")
    references = [s.reference for s in samples]
    with Progress(console=console, transient=True) as progress:
        task = progress.add_task(f"sampling (k={mode.k})", total=len(references))
        groups = sample_completions(references, sampler, renderer, reward, mode, batch_size, seed,
                                    advance=lambda n: progress.advance(task, n))
    for item, group in zip(samples, groups, strict=True):
        item.sampled = group
    atomic_write_text(out / SAMPLED, "".join(json.dumps({"id": ref.id, "candidates": group.candidates}) + "\n"
                                             for ref, group in zip(references, groups, strict=True)))
    return summarize(groups, mode, seed)


def _render(renderer: Renderer, predictions: Sequence[Prediction]) -> list[RenderResult | None]:
    """One `render_many` over every prediction with code; None where there is no code."""
    indices = [i for i, p in enumerate(predictions) if p.code is not None]
    results = renderer.render_many([predictions[i].code for i in indices]) if indices else []
    renders: list[RenderResult | None] = [None] * len(predictions)
    for i, result in zip(indices, results, strict=True):
        renders[i] = result
    return renders


def _unmatched_note(predictor: Predictor, ids: Sequence[str]) -> list[str]:
    files = getattr(predictor, "files", None)
    extra = sorted(set(files) - set(ids)) if isinstance(files, Mapping) else []
    return [f"{len(extra)} prediction file(s) match no reference: {', '.join(extra[:5])}"] if extra else []


def _means(samples: Sequence[Sample]) -> dict[str, float | None]:
    names = dict.fromkeys(name for s in samples for name in s.metrics)
    return {"reward": mean([s.reward for s in samples]),
            **{name: mean([s.metrics.get(name) for s in samples]) for name in names}}


def _breakdowns(samples: Sequence[Sample]) -> dict[str, dict[str, dict[str, Any]]]:
    """Per category and per difficulty (when the references have them): n, render rate, metric means."""
    breakdowns = {}
    for key in BREAKDOWN_KEYS:
        groups: dict[str, list[Sample]] = {}
        for sample in samples:
            value = getattr(sample.reference, key)
            if value is not None:
                groups.setdefault(str(value), []).append(sample)
        if groups:
            breakdowns[key] = {name: {"n": len(group),
                                      "render_success_rate": sum(s.error is None for s in group) / len(group),
                                      "metrics": _means(group)} for name, group in sorted(groups.items())}
    return breakdowns


def compare(runs: Mapping[str, RunResults | str | os.PathLike[str]], metrics: Sequence[str] | None = None,
            seed: int = 0) -> Table:
    """Runs side by side (run directories or `RunResults`; the first is the baseline) with each later
    run's difference to it: paired over the same references with a bootstrap 95 % interval wherever
    both runs have a value per reference (greedy and sampled reward and render rate, per-sample
    metrics), else the difference of the means. Runs over different references raise
    `UnpairedRunsError`, naming the ids."""
    if len(runs) < 2:
        raise ValueError(f"compare needs at least two runs, got {len(runs)}")
    labels = list(runs)
    loaded = [run if isinstance(run, RunResults) else RunResults.load(run) for run in runs.values()]
    summaries = [run.summary for run in loaded]
    names = list(metrics) if metrics is not None else list(dict.fromkeys(n for s in summaries for n in s.metrics))
    rows: list[tuple[str, list[float | None]]] = [
        ("render_success_rate", [s.render_success_rate for s in summaries]),
        ("conditioning_gap", [s.conditioning_gap.get("value") for s in summaries]),
        *((name, [s.metrics.get(name) for s in summaries]) for name in names),
    ]
    if any(s.sampled is not None for s in summaries):
        rows += [(f"sampled/{key}", [s.sampled[key]["value"] if s.sampled is not None else None for s in summaries])
                 for key in ("reward", "render_success_rate", "best_of_k_reward")]
    paired = [paired_differences(loaded[0], run, names, seed) for run in loaded[1:]]
    columns = ["metric", *labels]
    for label in labels[1:]:
        columns += [f"Δ {label} − {labels[0]}", "95 % CI (paired)"]
    table_rows = []
    for name, values in rows:
        cells: list[object] = [name, *values]
        for value, differences in zip(values[1:], paired, strict=True):
            found = differences.get(name)
            if found is not None:
                cells += [found.value, _interval(found)]
            else:
                cells += [None if value is None or values[0] is None else value - values[0], None]
        table_rows.append(cells)
    return Table(f"Runs compared (Δ against {labels[0]})", columns, table_rows)


def _interval(interval: Interval) -> str | None:
    return None if interval.low is None else f"[{interval.low:+.3f}, {interval.high:+.3f}]"

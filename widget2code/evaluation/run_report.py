"""The HTML report of one evaluation run: metric table, per-category bars, score histograms, and a
gallery of reference | rendering | code for the best and worst samples (by the run's reward)."""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from pathlib import Path

from PIL import Image

from widget2code.evaluation import plots
from widget2code.evaluation.report import Card, Report, Section, Table
from widget2code.evaluation.results import Sample, Summary

THUMBNAIL = 480  # longest side of the pictures in the gallery


def write_run_report(directory: str | os.PathLike[str], summary: Summary, samples: Sequence[Sample],
                     gallery_size: int = 4) -> Path:
    report = Report(directory, title=f"widget2code evaluation · {summary.predictor}")
    _overview(report, summary)
    for key, groups in summary.breakdowns.items():
        _breakdown(report, key, groups)
    _distributions(report, samples)
    ranked = sorted(samples, key=lambda s: s.reward, reverse=True)
    count = min(gallery_size, len(ranked) // 2 or len(ranked))
    _gallery(report.section(f"Best {count}", f"Highest {summary.reward} reward."), report, ranked[:count])
    if len(ranked) > count:
        _gallery(report.section(f"Worst {count}", f"Lowest {summary.reward} reward."), report,
                 ranked[::-1][:count])
    return report.write()


def _interval(block: dict[str, object]) -> str:
    return f"[{block['low']:.3f}, {block['high']:.3f}]" if block.get("low") is not None else "n/a"


def _overview(report: Report, summary: Summary) -> None:
    gap = summary.conditioning_gap
    interval = _interval(gap)
    section = report.section("Summary", (
        f"{summary.n} references" + (f" ({summary.references})" if summary.references else "") +
        f", predictor {summary.predictor}, "
        f"reward {summary.reward}. Missing metrics are shown as — (not computed here), never as 0."))
    rows: list[list[object]] = [
        ["render success rate", summary.render_success_rate, "missing and failed predictions count as failures"],
        ["conditioning gap", gap.get("value"), f"95 % bootstrap interval {interval} over {gap.get('n', 0)} "
                                               "rendered predictions"],
    ]
    rows += [[name, value, "" if value is not None else "missing"] for name, value in summary.metrics.items()]
    if summary.sampled is not None:
        k, temperature = summary.sampled["k"], summary.sampled["temperature"]
        for key, label in (("reward", f"sampled reward (mean of {k} at temperature {temperature:g})"),
                           ("render_success_rate", "sampled render rate"), ("best_of_k_reward", f"best-of-{k} reward")):
            block = summary.sampled[key]
            rows.append([label, block["value"], f"95 % bootstrap interval {_interval(block)} over {block['n']} "
                                                "references"])
    section.tables.append(Table("Metrics (means over all references)", ["metric", "mean", "note"], rows))
    if summary.notes:
        section.tables.append(Table("Notes", ["note"], [[note] for note in summary.notes]))


def _breakdown(report: Report, key: str, groups: dict[str, dict[str, object]]) -> None:
    section = report.section(f"By {key}")
    rewards = {name: stats["metrics"].get("reward") for name, stats in groups.items()}
    rates = {name: stats["render_success_rate"] for name, stats in groups.items()}
    section.charts.append((f"mean reward by {key}", report.add_image(
        f"chart-{key}-reward", plots.bar_chart(rewards, f"mean reward by {key}", "reward", (0, 1.1)))))
    section.charts.append((f"render success rate by {key}", report.add_image(
        f"chart-{key}-render", plots.bar_chart(rates, f"render success rate by {key}", "rate", (0, 1.1)))))
    section.tables.append(Table(f"By {key}", [key, "n", "render success rate", "reward"], [
        [name, stats["n"], stats["render_success_rate"], stats["metrics"].get("reward")]
        for name, stats in groups.items()]))


def _distributions(report: Report, samples: Sequence[Sample]) -> None:
    section = report.section("Score distributions", "Rendered samples and failures (which score 0) apart.")
    names = ["reward", *(n for n in dict.fromkeys(k for s in samples for k in s.metrics) if n.startswith("programmatic/"))]
    for name in names:
        values = [(s.reward if name == "reward" else s.metrics.get(name), s.error is None) for s in samples]
        if all(v is None for v, _ in values):
            continue
        series = {"rendered": [v for v, ok in values if ok and v is not None],
                  "failed": [v for v, ok in values if not ok and v is not None]}
        section.charts.append((name, report.add_image(
            f"hist-{name.replace('/', '-')}", plots.histogram(series, name, "score"))))
    groups = [s.sampled for s in samples if s.sampled is not None]
    if groups:
        name = f"sampled reward (each of {len(groups[0].rewards)} per reference)"
        series = {"rendered": [r for g in groups for r, ok in zip(g.rewards, g.rendered, strict=True) if ok],
                  "failed": [r for g in groups for r, ok in zip(g.rewards, g.rendered, strict=True) if not ok]}
        section.charts.append((name, report.add_image("hist-sampled-reward", plots.histogram(series, name, "score"))))


def _gallery(section: Section, report: Report, samples: Sequence[Sample]) -> None:
    for sample in samples:
        ref = sample.reference
        images = [("reference", report.add_image(f"ref-{ref.id}", _thumbnail(ref.image)))]
        if sample.error is None:
            images.append(("rendering", report.add_image(f"pred-{ref.id}", _thumbnail(sample.render.image))))
        title = " · ".join(str(part) for part in (ref.id, ref.source_id, ref.category, ref.difficulty) if part)
        figures = {"reward": round(sample.reward, 3),
                   **({"sampled reward": round(sample.sampled.reward, 3)} if sample.sampled is not None else {}),
                   **{k: round(v, 3) for k, v in sample.metrics.items()
                      if v is not None and k in ("programmatic/ssim", "widget2code/ssim", "clip")}}
        if sample.error is not None:
            figures["no rendering"] = sample.error + (f": {sample.render.message[:200]}" if sample.render else "")
        section.cards.append(Card(title=title, images=images, figures=figures,
                                  code=sample.prediction.code or sample.prediction.text or None))


def _thumbnail(image: Image.Image) -> bytes:
    copy = image.copy()
    copy.thumbnail((THUMBNAIL, THUMBNAIL))
    buffer = io.BytesIO()
    copy.save(buffer, format="PNG")
    return buffer.getvalue()

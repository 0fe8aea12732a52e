"""`make demo`: every stage that exists, end to end on the CPU, with a report a person can look at.

1. data: synthesise widgets, render-verify, dedup, tag difficulty, split, attach reasoning traces;
2. renderer: the bundled examples and a set of broken widgets (each failure is a typed result);
3. rewards: each showcased sample against degraded variants of itself (the true render must win);
4. report: `index.html` in the run directory (pictures, code, reasoning, tables).
"""

from __future__ import annotations

import time
from pathlib import Path

from hydra.utils import instantiate
from omegaconf import DictConfig
from PIL import Image, ImageChops, ImageEnhance, ImageFilter
from rich.console import Console

from widget2code.data.manifest import read_manifest
from widget2code.data.pipeline import run as run_pipeline
from widget2code.evaluation.report import Card, Report, Table
from widget2code.render import Renderer
from widget2code.rewards.base import Reward

EXAMPLES = Path(__file__).parent / "render" / "examples"
BROKEN_WIDGETS = {
    "syntax error": "export default function W() { return <div className='p-4'> }",
    "disallowed import": "import { motion } from 'framer-motion';\nexport default () => <motion.div/>;",
    "no default export": "export function Widget() { return <div/>; }",
    "throws while rendering": "export default function W() { const d: any = null; return <div>{d.title}</div>; }",
    "renders nothing": "export default function W() { return null; }",
    "endless loop": "export default function W() { while (true) {} }",
    "tries the network": ("import { useEffect } from 'react';\nexport default function W() {\n"
                          "  useEffect(() => { fetch('http://example.com/steal').catch(() => {}); }, []);\n"
                          "  return <div className='rounded-xl bg-slate-800 p-6 text-white'>still renders</div>;\n}"),
}


VARIANTS = ("colour shift", "blur", "moved 24 px", "half erased")


def degraded_variants(image: Image.Image) -> dict[str, Image.Image]:
    """Controlled perturbations of a render (named as in VARIANTS): a reward must score them lower."""
    rgb = image.convert("RGB")
    return {
        "colour shift": ImageEnhance.Color(Image.eval(rgb, lambda v: min(255, v + 40))).enhance(0.3),
        "blur": rgb.filter(ImageFilter.GaussianBlur(3)),
        "moved 24 px": ImageChops.offset(rgb, 24, 12),
        "half erased": _erase_right_half(rgb),
    }


def _erase_right_half(image: Image.Image) -> Image.Image:
    erased = image.copy()
    corner = image.getpixel((0, 0))
    erased.paste(corner, (image.width // 2, 0, image.width, image.height))
    return erased


def run(cfg: DictConfig, run_dir: Path, console: Console | None = None) -> Path:
    console = console or Console()
    report = Report(run_dir / "report", title="widget2code demo")
    started = time.perf_counter()

    console.rule("[bold]1/3 data pipeline")
    stage_reports = run_pipeline(cfg.pipeline, console=console)
    dataset_dir = Path(cfg.pipeline.out_dir)
    records = read_manifest(dataset_dir)
    data = report.section("Data", f"{len(records)} samples in {dataset_dir} (manifest.jsonl).")
    data.tables.append(Table("Stages", ["stage", "in", "kept", "dropped", "why dropped", "seconds"], [
        [r.stage, r.inputs, r.kept, r.inputs - r.kept, ", ".join(f"{k}: {v}" for k, v in r.dropped.items()) or "-",
         round(r.seconds, 1)] for r in stage_reports]))

    console.rule("[bold]2/3 renderer")
    renderer_section = report.section(
        "Renderer", "The bundled examples, then broken widgets: every failure is a typed result and the "
                    "next render works.")
    with Renderer(settings=instantiate(cfg.pipeline.render.settings), slots=1) as renderer:
        examples = sorted(EXAMPLES.glob("*.tsx"))
        for path, result in zip(examples, renderer.render_many([p.read_text() for p in examples]), strict=True):
            renderer_section.cards.append(Card(
                title=path.name, images=[("render", report.add_image(f"example-{path.stem}", result.png or b""))],
                code=path.read_text(), figures={"ms": round(result.timings.get("total", 0.0), 1)}))
        broken = renderer.render_many(list(BROKEN_WIDGETS.values()))
        renderer_section.tables.append(Table("Broken widgets", ["widget", "ok", "error kind", "message", "ms"], [
            [name, r.ok, str(r.error_kind or "-"), r.message[:90], round(r.timings.get("total", 0.0))]
            for name, r in zip(BROKEN_WIDGETS, broken, strict=True)]))

    console.rule("[bold]3/3 rewards")
    reward: Reward = instantiate(cfg.reward)
    rewards_section = report.section(
        "Rewards", f"`{type(reward).__name__}` ({cfg.reward._target_}) of each sample's own render and of "
                   "degraded variants, against the sample's screenshot: the true render must score highest.")
    rows = []
    for record in records[: cfg.showcase]:
        reference = Image.open(dataset_dir / record.image).convert("RGB")
        variants = {"true render": reference, **degraded_variants(reference)}
        scored = reward.score([reference] * len(variants), list(variants.values()))
        totals = dict(zip(variants, scored.total, strict=True))
        rows.append([record.id, *(totals[name] for name in variants),
                     "yes" if max(totals, key=totals.get) == "true render" else "NO"])
        rewards_section.cards.append(Card(
            title=f"{record.id} · {record.category} · {record.difficulty} · {record.split}",
            images=[(f"{name}: {totals[name]:.3f}", report.add_image(f"{record.id}-{i}", image))
                    for i, (name, image) in enumerate(variants.items())],
            code=(dataset_dir / record.tsx).read_text(), notes=record.cot,
            # The true render scores 1 on every component; what matters is how each one reacts.
            figures={f"{name}, variants' mean": round(sum(values[1:]) / len(values[1:]), 3)
                     for name, values in scored.components.items()}))
    rewards_section.tables.insert(0, Table("Reward of the true render vs degraded variants",
                                           ["sample", "true render", *VARIANTS, "true render best"], rows))
    path = report.write()
    console.print(f"[green]demo finished in {time.perf_counter() - started:.0f} s; report: {path}")
    return path

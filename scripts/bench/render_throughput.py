"""Renderer throughput: naive fresh-browser-per-render vs the warm pool vs cache hits, in one run.

    python scripts/bench/render_throughput.py [--widgets 24] [--naive 6]

Prints one JSON line: renders/s and p50/p95 latency (ms) for
  naive              a fresh Node compile and a fresh Chromium per render (what a simple script does);
  naive_precompiled  a fresh Chromium per render, compiled up front (the browser part alone);
  pool_seq    the warm pool, one render at a time (a fresh document per render);
  pool_2      the warm pool with 2 slots, render_many;
  cache_hits  re-rendering the same sources from the disk cache;
and the speed-up ratios pool/naive, all measured side by side on the same widgets.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from playwright.async_api import async_playwright

from widget2code.render import Renderer
from widget2code.render.compiler import AsyncCompiler
from widget2code.render.renderer import _MOUNT_SCRIPT, _PAGE_TEMPLATE, CHROMIUM_ARGS, DEFAULT_CHROMIUM

EXAMPLES = Path(__file__).resolve().parents[2] / "widget2code" / "render" / "examples"


def widgets(count: int) -> list[str]:
    """The bundled examples plus synthetic widgets (all categories), `count` in all, all distinct."""
    sources = [p.read_text() for p in sorted(EXAMPLES.glob("*.tsx"))]
    try:
        from widget2code.data.synthetic import generate_widgets

        sources += [w.tsx for w in generate_widgets(count, seed=1234)]
    except ImportError:  # the generator is optional here; vary the examples instead
        sources += [s.replace("</div>", f"<span>{i}</span></div>", 1) for i, s in enumerate(sources * count)]
    return sources[:count]


def stats(latencies_ms: list[float], wall_s: float) -> dict[str, float]:
    ordered = sorted(latencies_ms)
    return {
        "renders_per_s": round(len(ordered) / wall_s, 2),
        "p50_ms": round(statistics.median(ordered), 1),
        "p95_ms": round(ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))], 1),
        "n": len(ordered),
    }


async def naive(sources: list[str], compile_each: bool) -> dict[str, float]:
    """A fresh Chromium per render, as simple scripts do; with `compile_each`, a fresh Node compile too.

    Without it, compiling is done once up front, so only the browser part is compared.
    """
    compiler = AsyncCompiler()
    await compiler.start()
    vendor = await compiler.vendor_js()
    precompiled = [await compiler.compile(s) for s in sources]
    await compiler.close()
    page_html = (_PAGE_TEMPLATE.replace("__BACKGROUND__", "#ffffff").replace("__MARGIN__", "48")
                 .replace("</body>", f"<script>{vendor}</script></body>"))
    latencies = []
    start = time.perf_counter()
    async with async_playwright() as pw:
        for source, item in zip(sources, precompiled, strict=True):
            t0 = time.perf_counter()
            if compile_each:
                fresh = AsyncCompiler()
                await fresh.start()
                item = await fresh.compile(source)
                await fresh.close()
            browser = await pw.chromium.launch(executable_path=DEFAULT_CHROMIUM, args=list(CHROMIUM_ARGS))
            page = await browser.new_page()
            await page.set_content(page_html)
            outcome = await page.evaluate(_MOUNT_SCRIPT, [item.js, item.css])
            x, y, w, h = outcome["box"]
            await page.screenshot(clip={"x": x - 48, "y": y - 48, "width": w + 96, "height": h + 96})
            await browser.close()
            latencies.append((time.perf_counter() - t0) * 1000)
    return stats(latencies, time.perf_counter() - start)


def pool(sources: list[str], slots: int, sequential: bool) -> dict[str, float]:
    with Renderer(slots=slots) as renderer:
        renderer.render_many(sources[:4])  # warm-up: JIT, fonts, caches
        start = time.perf_counter()
        results = [renderer.render(s) for s in sources] if sequential else renderer.render_many(sources)
        wall = time.perf_counter() - start
    failures = [r.message for r in results if not r.ok]
    if failures:
        sys.exit(f"benchmark widgets failed to render: {failures[:3]}")
    out = stats([r.timings["total"] for r in results], wall)
    for stage in ("compile", "mount", "screenshot"):
        out[f"{stage}_p50_ms"] = round(statistics.median(r.timings.get(stage, 0.0) for r in results), 1)
    return out


def cache_hits(sources: list[str], repeats: int = 20) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as cache_dir, Renderer(cache_dir=cache_dir) as renderer:
        renderer.render_many(sources)
        latencies = []
        start = time.perf_counter()
        for _ in range(repeats):
            for source in sources:
                t0 = time.perf_counter()
                hit = renderer.render(source)
                latencies.append((time.perf_counter() - t0) * 1000)
                assert hit.cached
        return stats(latencies, time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widgets", type=int, default=24)
    parser.add_argument("--naive", type=int, default=6, help="renders for the (slow) naive path")
    args = parser.parse_args()
    sources = widgets(args.widgets)
    results = {
        "naive": asyncio.run(naive(sources[: args.naive], compile_each=True)),
        "naive_precompiled": asyncio.run(naive(sources[: args.naive], compile_each=False)),
        "pool_seq": pool(sources, slots=1, sequential=True),
        "pool_2": pool(sources, slots=2, sequential=False),
        "cache_hits": cache_hits(sources),
    }
    naive_rate = results["naive"]["renders_per_s"]
    print(json.dumps({
        "bench": "render_throughput",
        "widgets": len(sources),
        **results,
        "speedup_pool_seq_vs_naive": round(results["pool_seq"]["renders_per_s"] / naive_rate, 1),
        "speedup_pool_2_vs_naive": round(results["pool_2"]["renders_per_s"] / naive_rate, 1),
        "speedup_pool_seq_vs_naive_precompiled": round(
            results["pool_seq"]["renders_per_s"] / results["naive_precompiled"]["renders_per_s"], 1),
        "targets": {"pool_renders_per_s": 10, "speedup_vs_naive": 30, "cache_hits_per_s": 1000},
    }))


if __name__ == "__main__":
    main()

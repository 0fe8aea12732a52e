"""Renderer throughput: naive fresh-browser-per-render vs the warm pool vs cache hits, in one run.

    python scripts/bench/render_throughput.py [--widgets 24] [--naive 6]

Prints one JSON line: renders/s and p50/p95 latency (ms) for
  naive              a fresh Node compile and a fresh Chromium per render (what a simple script does);
  naive_precompiled  a fresh Chromium per render, compiled up front (the browser part alone);
  pool_seq    the warm pool, one render at a time (a fresh document per render);
  pool_2      the warm pool with 2 slots, render_many;
  cache_hits  re-rendering the same sources from the disk cache;
  libraries   the warm pool, one render at a time, on three sets side by side in one renderer (blocks of
              each set in turn, so a change in the machine's load hits all three alike): widgets that import
              no library (`plain`), widgets with lucide-react and react-icons icons (`icons`) and recharts
              charts (`recharts`, whose pages load the prebuilt recharts bundle);
and the speed-up ratios pool/naive and the rate of each library set relative to `plain`.
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
from widget2code.render.renderer import (
    _CLOCK_SCRIPT,
    _MOUNT_SCRIPT,
    _PAGE_TEMPLATE,
    CHROMIUM_ARGS,
    DEFAULT_CHROMIUM,
)

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


_CHARTS = {
    "line": ("LineChart, Line", '<LineChart data={data}><XAxis dataKey="m" /><YAxis /><CartesianGrid strokeDasharray="3 3" />'
             '<Tooltip /><Line type="monotone" dataKey="v" stroke="#6366f1" strokeWidth={2} /></LineChart>'),
    "area": ("AreaChart, Area", '<AreaChart data={data}><XAxis dataKey="m" /><Tooltip />'
             '<Area type="monotone" dataKey="v" stroke="#0ea5e9" fill="#bae6fd" /></AreaChart>'),
    "bar": ("BarChart, Bar", '<BarChart data={data}><XAxis dataKey="m" /><YAxis /><Bar dataKey="v" fill="#22c55e" radius={4} />'
            '</BarChart>'),
    "pie": ("PieChart, Pie, Cell", '<PieChart><Pie data={data} dataKey="v" nameKey="m" innerRadius={40} outerRadius={70}>'
            '{data.map((d, i) => <Cell key={d.m} fill={COLOURS[i % COLOURS.length]} />)}</Pie></PieChart>'),
}


def recharts_widgets(count: int) -> list[str]:
    """Chart cards as real widget code writes them: ResponsiveContainer, axes, default animations."""
    sources = []
    for i in range(count):
        names, chart = list(_CHARTS.values())[i % len(_CHARTS)]
        values = ", ".join(f'{{ m: "{m}", v: {(i * 7 + k * 13) % 50 + 10} }}' for k, m in enumerate("JFMAMJ"))
        sources.append(f"""import {{ ResponsiveContainer, XAxis, YAxis, CartesianGrid, Tooltip, {names} }} from "recharts";
const data = [{values}];
const COLOURS = ["#6366f1", "#f59e0b", "#10b981", "#ef4444"];
export default function Chart{i}() {{
  return (
    <div className="w-80 rounded-2xl bg-white p-4 shadow">
      <p className="text-sm font-medium text-slate-500">Metric {i}</p>
      <div className="h-40"><ResponsiveContainer width="100%" height="100%">{chart}</ResponsiveContainer></div>
    </div>
  );
}}
""")
    return sources


def icon_widgets(count: int) -> list[str]:
    """Stat cards with lucide-react and react-icons icons."""
    lucide = ["Users", "TrendingUp", "Wallet", "Bell", "Calendar", "Sun", "Heart", "Star"]
    brands = ["FaGithub", "FaTwitter", "FaSlack", "FaSpotify"]
    return [f"""import {{ {lucide[i % 8]}, ArrowUpRight }} from "lucide-react";
import {{ {brands[i % 4]} }} from "react-icons/fa";
export function StatCard() {{
  return (
    <div className="flex w-64 items-center gap-3 rounded-xl border border-slate-200 bg-white p-4">
      <div className="rounded-lg bg-indigo-50 p-2 text-indigo-600"><{lucide[i % 8]} className="h-5 w-5" /></div>
      <div className="flex-1"><p className="text-xs text-slate-500">Metric {i}</p><p className="text-xl font-bold">{1000 + 37 * i}</p></div>
      <ArrowUpRight className="h-4 w-4 text-emerald-500" /><{brands[i % 4]} className="h-5 w-5 text-slate-700" />
    </div>
  );
}}
""" for i in range(count)]


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
                 .replace("</head>", f"<script>{_CLOCK_SCRIPT}</script><script>{vendor}</script></head>"))
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
            options = {"component": item.component, "virtualTimeMs": 2000, "deadlineMs": 4000}
            outcome = await page.evaluate(_MOUNT_SCRIPT, [item.js, item.css, options])
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


def libraries(sets: dict[str, list[str]], block: int = 4) -> dict[str, dict[str, float]]:
    """Each set rendered one at a time in one warm renderer, in alternating blocks, timed per set."""
    latencies: dict[str, list[float]] = {name: [] for name in sets}
    walls = dict.fromkeys(sets, 0.0)
    with Renderer(slots=1) as renderer:
        for sources in sets.values():  # warm-up: JIT, fonts, each kind's pages
            renderer.render_many(sources[:2])
        for start in range(0, max(len(s) for s in sets.values()), block):
            for name, sources in sets.items():
                for source in sources[start:start + block]:
                    t0 = time.perf_counter()
                    result = renderer.render(source)
                    walls[name] += time.perf_counter() - t0
                    if not result.ok:
                        sys.exit(f"benchmark widget of set {name} failed: {result.error_kind} {result.message}")
                    latencies[name].append(result.timings["total"])
    return {name: stats(latencies[name], walls[name]) for name in sets}


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
        "libraries": libraries({"plain": sources, "icons": icon_widgets(len(sources)),
                                "recharts": recharts_widgets(len(sources))}),
    }
    naive_rate = results["naive"]["renders_per_s"]
    rates = {name: r["renders_per_s"] for name, r in results["libraries"].items()}
    print(json.dumps({
        "bench": "render_throughput",
        "widgets": len(sources),
        **results,
        "speedup_pool_seq_vs_naive": round(results["pool_seq"]["renders_per_s"] / naive_rate, 1),
        "speedup_pool_2_vs_naive": round(results["pool_2"]["renders_per_s"] / naive_rate, 1),
        "speedup_pool_seq_vs_naive_precompiled": round(
            results["pool_seq"]["renders_per_s"] / results["naive_precompiled"]["renders_per_s"], 1),
        "icons_vs_plain": round(rates["icons"] / rates["plain"], 2),
        "recharts_vs_plain": round(rates["recharts"] / rates["plain"], 2),
        "targets": {"pool_renders_per_s": 10, "speedup_vs_naive": 30, "cache_hits_per_s": 1000,
                    "recharts_vs_plain": 0.5},
    }))


if __name__ == "__main__":
    main()

"""Renderer throughput, side by side with the renderer as it was before its fresh-realm rework, in one run.

    python scripts/bench/render_throughput.py [--widgets 48] [--naive 4] [--baseline REV]

Prints one JSON line with
  pools       the warm pool of this checkout (`current`) and of the `--baseline` revision (a navigation
              per render, full Chromium, Playwright's evaluate), each in a process of its own, fed the same
              widgets in alternating blocks so a change in the machine's load hits both alike; per path and
              mode (`seq`: one render at a time; `par`: render_many with 2 slots): renders/s, CPU-ms per
              render (process CPU of python + node + chromium, the renderer's whole process tree), p50/p95
              latency; and `ratio` current/baseline of the rates and of the CPU per render;
  profile     where the CPU of one render goes in the current renderer, stage by stage, run serially:
              compile (esbuild and Tailwind in the Node worker; their own wall-clock ms apart), fresh_realm
              (swapping the page's widget frame for a new one), mount (inject, render, run the virtual clock,
              measure), screenshot (capture and PNG encoding), each split by process;
  naive       a fresh Node compile and a fresh Chromium per render (what a simple script does);
  cache_hits  re-rendering the same sources from the disk cache;
  libraries   the current pool, one render at a time, on widgets importing nothing (`plain`), icons
              (`icons`), recharts charts (`recharts`) and ECharts charts written for the official
              renderer (`echarts`: `<ReactECharts>` as a global), in alternating blocks;
  load_avg    the machine's 1-minute load average at the start and the end (other work on the machine
              slows both paths; the ratios and the CPU per render are what to compare between runs).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "widget2code" / "render" / "examples"
#: The last revision whose renderer navigated to a new document for every render.
BASELINE = "77b733de590cab3517894772f8f76f9bed3d79b0"
SLOTS = 2


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


def echarts_widgets(count: int) -> list[str]:
    """ECharts cards written for the official renderer: `<ReactECharts option>` with no import, default animations."""
    kinds = ["bar", "line", "pie", "scatter"]
    sources = []
    for i in range(count):
        values = [(i * 7 + k * 13) % 50 + 10 for k in range(6)]
        series = ("{ type: 'pie', radius: ['40%', '70%'], data: VALUES.map((value, k) => ({ value, name: 'ABCDEF'[k] })) }"
                  if kinds[i % 4] == "pie" else f"{{ type: '{kinds[i % 4]}', data: VALUES, smooth: true }}")
        axes = "" if kinds[i % 4] == "pie" else "xAxis: { type: 'category', data: [...'JFMAMJ'] }, yAxis: { type: 'value' },"
        sources.append(f"""const VALUES = {values};
export default function Widget() {{
  const option = {{ {axes} series: [{series}] }};
  return (
    <div style={{{{ width: 360, height: 220, background: '#fff', borderRadius: 12, padding: 12 }}}}>
      <p style={{{{ margin: 0, font: '600 14px sans-serif' }}}}>Metric {i}</p>
      <ReactECharts option={{option}} style={{{{ width: 336, height: 180 }}}} />
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


# -- CPU of a process tree ------------------------------------------------------------------------------

def _kind(process: psutil.Process) -> str:
    if process.pid == os.getpid():
        return "python"
    command = process.cmdline() or [""]
    program = Path(command[0]).name
    if program.startswith("chrom"):
        kind = next((part.split("=", 1)[1] for part in command if part.startswith("--type=")), "browser")
        return f"chromium_{kind.replace('-', '_')}"
    if program == "esbuild":
        return "esbuild"
    if program == "node" and any(part.endswith("worker.mjs") for part in command):
        return "node_worker"
    if program == "node" and any("playwright" in part for part in command):
        return "playwright_driver"
    return "other"


def tree_cpu() -> dict[str, float]:
    """CPU seconds of this process and every process under it, by kind; a descendant that has exited counts
    in the process that reaped it."""
    me = psutil.Process()
    seconds: dict[str, float] = {}
    for process in [me, *me.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            t = process.cpu_times()
            kind = _kind(process)
            seconds[kind] = seconds.get(kind, 0.0) + t.user + t.system + t.children_user + t.children_system
    return seconds


def cpu_ms(before: dict[str, float], after: dict[str, float], count: int) -> dict[str, float]:
    return {kind: round((after.get(kind, 0.0) - before.get(kind, 0.0)) * 1000 / count, 1)
            for kind in sorted(set(before) | set(after))}


# -- one renderer in a process of its own ----------------------------------------------------------------

def serve(slots: int) -> None:
    """Render blocks of sources on request (one JSON line each way) and say what each cost.

    The renderer is whichever `widget2code` comes first on sys.path: this checkout's, or a baseline's.
    """
    from widget2code.render import Renderer

    with Renderer(slots=slots) as renderer:
        renderer.render_many(widgets(6))  # warm-up: JIT, fonts, caches
        print(json.dumps({"ready": True, "version": renderer.version}), flush=True)
        for line in sys.stdin:
            request = json.loads(line)
            sources = request["sources"]
            before, started = tree_cpu(), time.perf_counter()
            if request["mode"] == "seq":
                results = [renderer.render(source) for source in sources]
            else:
                results = renderer.render_many(sources)
            wall = time.perf_counter() - started
            after = tree_cpu()
            failed = [f"{r.error_kind}: {r.message}" for r in results if not r.ok]
            print(json.dumps({"wall": wall, "cpu": sum(after.values()) - sum(before.values()),
                              "latencies": [r.timings["total"] for r in results], "failed": failed[:3]}), flush=True)


class Server:
    """A `serve` process for the renderer under `root` (this checkout, or a baseline's files)."""

    def __init__(self, root: Path, slots: int) -> None:
        code = (f"import sys; sys.path.insert(0, {str(root)!r}); sys.path.insert(1, {str(Path(__file__).parent)!r}); "
                f"import render_throughput as bench; bench.serve({slots})")
        self.process = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        text=True, cwd=root)
        self.hello = self._read()

    def _read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            sys.exit(f"a renderer process exited (code {self.process.wait()})")
        return json.loads(line)

    def run(self, mode: str, sources: list[str]) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"mode": mode, "sources": sources}) + "\n")
        self.process.stdin.flush()
        answer = self._read()
        if answer["failed"]:
            sys.exit(f"benchmark widgets failed to render: {answer['failed']}")
        return answer

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(60)


@contextlib.contextmanager
def baseline_tree(revision: str):
    """The package and the Node side as they were at `revision`, with this checkout's installed packages
    (each linked, so the baseline's worker keeps its prebuilt bundles in a cache of its own)."""
    with tempfile.TemporaryDirectory(prefix="w2c-baseline-") as tmp:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision, "widget2code", "render"],
                                 capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        modules = Path(tmp) / "render" / "node_modules"
        modules.mkdir()
        for entry in (ROOT / "render" / "node_modules").iterdir():
            if entry.name != ".cache":
                (modules / entry.name).symlink_to(entry)
        subprocess.run(["node", "worker.mjs", "--prepare"], cwd=modules.parent, check=True, capture_output=True)
        yield Path(tmp)


def pools(sources: list[str], revision: str, block: int = 8) -> dict[str, Any]:
    """This checkout's pool and the baseline's, fed the same blocks in turn, sequentially and with 2 slots."""
    paths = {"current": ROOT}
    with contextlib.ExitStack() as stack:
        try:
            paths["baseline"] = stack.enter_context(baseline_tree(revision))
        except (subprocess.CalledProcessError, FileNotFoundError) as err:
            print(f"no baseline ({err}); measuring the current renderer alone", file=sys.stderr)
        servers = {name: Server(root, SLOTS) for name, root in paths.items()}
        results: dict[str, Any] = {}
        for mode in ("seq", "par"):
            latencies: dict[str, list[float]] = {name: [] for name in servers}
            wall = dict.fromkeys(servers, 0.0)
            cpu = dict.fromkeys(servers, 0.0)
            for start in range(0, len(sources), block):
                for name, server in servers.items():
                    answer = server.run(mode, sources[start:start + block])
                    latencies[name] += answer["latencies"]
                    wall[name] += answer["wall"]
                    cpu[name] += answer["cpu"]
            for name in servers:
                entry = stats(latencies[name], wall[name])
                entry["cpu_ms_per_render"] = round(cpu[name] * 1000 / len(sources), 1)
                results.setdefault(name, {})[mode] = entry
        for server in servers.values():
            server.close()
    if "baseline" in results:
        results["baseline"]["revision"] = revision
        results["ratio"] = {mode: {
            "renders_per_s": round(results["current"][mode]["renders_per_s"] / results["baseline"][mode]["renders_per_s"], 2),
            "cpu_ms_per_render": round(results["baseline"][mode]["cpu_ms_per_render"]
                                       / results["current"][mode]["cpu_ms_per_render"], 2),
        } for mode in ("seq", "par")}
    return results


# -- the current renderer, in this process ----------------------------------------------------------------

def profile(sources: list[str]) -> dict[str, Any]:
    """CPU-ms per render of each stage, the stages run one after another on one page."""
    from widget2code.render import Renderer

    async def measure(renderer: Renderer) -> dict[str, Any]:
        for source in sources[:4]:
            await renderer.render_async(source)
        await asyncio.sleep(1.0)  # let the warm-up's background work finish
        slot = await renderer._take_slot(())
        spent: dict[str, list[dict[str, float]]] = {}
        worker_ms: dict[str, list[float]] = {"esbuild": [], "tailwind": []}

        async def stage(name: str, work: Any) -> Any:
            before = tree_cpu()
            value = await work
            spent.setdefault(name, []).append({k: v - before.get(k, 0.0) for k, v in tree_cpu().items()})
            return value

        for source in sources:
            compiled = await stage("compile", renderer.compiler.compile(source))
            for key in worker_ms:
                worker_ms[key].append(compiled.timings[key])
            options = {"component": compiled.component, "virtualTimeMs": renderer.settings.virtual_time_ms,
                       "deadlineMs": 4000}
            outcome = await stage("mount", renderer._mount(slot, compiled, options))
            await stage("screenshot", renderer._screenshot(slot, outcome["box"]))
            await stage("fresh_realm", renderer._new_frame(slot))
        out: dict[str, Any] = {}
        for name, samples in spent.items():
            kinds = {k: round(1000 * sum(s.get(k, 0.0) for s in samples) / len(samples), 1)
                     for k in sorted({k for s in samples for k in s})}
            out[name] = {"cpu_ms": round(sum(kinds.values()), 1),
                         "by_process": {k: v for k, v in kinds.items() if abs(v) >= 0.5}}
        out["compile"]["worker_wall_ms"] = {k: round(statistics.mean(v), 1) for k, v in worker_ms.items()}
        out["total_cpu_ms"] = round(sum(out[name]["cpu_ms"] for name in spent), 1)
        return out

    async def run() -> dict[str, Any]:
        async with Renderer(slots=1) as renderer:
            return await measure(renderer)

    return asyncio.run(run())


async def naive(sources: list[str]) -> dict[str, float]:
    """A fresh Node compile and a fresh Chromium per render, as simple scripts do."""
    from playwright.async_api import async_playwright

    from widget2code.render.compiler import AsyncCompiler
    from widget2code.render.renderer import (
        _CLOCK_SCRIPT,
        _MOUNT_SCRIPT,
        _PAGE_TEMPLATE,
        CHROMIUM_ARGS,
        DEFAULT_CHROMIUM,
    )

    compiler = AsyncCompiler()
    await compiler.start()
    vendor = await compiler.vendor_js()
    await compiler.close()
    page_html = (_PAGE_TEMPLATE.replace("__BACKGROUND__", "#ffffff").replace("__MARGIN__", "48")
                 .replace("</head>", f"<script>{_CLOCK_SCRIPT}</script><script>{vendor}</script></head>"))
    latencies = []
    start = time.perf_counter()
    async with async_playwright() as pw:
        for source in sources:
            t0 = time.perf_counter()
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


def libraries(sets: dict[str, list[str]], block: int = 4) -> dict[str, dict[str, float]]:
    """Each set rendered one at a time in one warm renderer, in alternating blocks, timed per set."""
    from widget2code.render import Renderer

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
    from widget2code.render import Renderer

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
    parser.add_argument("--widgets", type=int, default=48)
    parser.add_argument("--naive", type=int, default=4, help="renders for the (slow) naive path")
    parser.add_argument("--baseline", default=BASELINE, help="git revision of the renderer to compare with")
    args = parser.parse_args()
    sources = widgets(args.widgets)
    load_start = os.getloadavg()[0]
    results = {
        "pools": pools(sources, args.baseline),
        "profile": profile(sources),
        "naive": asyncio.run(naive(sources[: args.naive])),
        "cache_hits": cache_hits(sources),
        "libraries": libraries({"plain": sources, "icons": icon_widgets(len(sources)),
                                "recharts": recharts_widgets(len(sources)), "echarts": echarts_widgets(len(sources))}),
    }
    rates = {name: r["renders_per_s"] for name, r in results["libraries"].items()}
    print(json.dumps({
        "bench": "render_throughput",
        "widgets": len(sources),
        "load_avg": [round(load_start, 2), round(os.getloadavg()[0], 2)],
        **results,
        "speedup_pool_par_vs_naive": round(results["pools"]["current"]["par"]["renders_per_s"]
                                           / results["naive"]["renders_per_s"], 1),
        "icons_vs_plain": round(rates["icons"] / rates["plain"], 2),
        "recharts_vs_plain": round(rates["recharts"] / rates["plain"], 2),
        "echarts_vs_plain": round(rates["echarts"] / rates["plain"], 2),
        "targets": {"pool_renders_per_s": 10, "cpu_ms_per_render": 200, "rate_vs_baseline": 2,
                    "speedup_vs_naive": 30, "cache_hits_per_s": 1000, "recharts_vs_plain": 0.5},
    }))


if __name__ == "__main__":
    main()

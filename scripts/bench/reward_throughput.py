"""Reward throughput: pairs/s per metric and for the programmatic reward, batched versus one-by-one.

    python scripts/bench/reward_throughput.py [--group 8] [--repeats 3]

A group of candidates (variants of one synthetic widget: shifted, recoloured, blurred, elements
removed) is scored against its reference at working sizes 256 and 512. "batched" scores the whole
group in one call; "single" makes one call per candidate. Metric figures time the metric on
already-prepared arrays; "prepare" times `prepare_pairs`; "programmatic" times the whole reward from
PIL images. LPIPS uses a random backbone (same cost as the real one) and, by default, averages pairs
above 256 px down to 256 px; "lpips_uncapped@512" shows its cost without that. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import statistics
import time
from collections.abc import Callable

import torch
from PIL import Image, ImageDraw, ImageFilter

from widget2code.rewards.images import prepare_pairs
from widget2code.rewards.lpips_net import lpips_similarity
from widget2code.rewards.programmatic import ProgrammaticReward


def widget(dx: int = 0, color: tuple[int, int, int] = (59, 130, 246), drop: int = 0) -> Image.Image:
    """A 640 x 400 card with a bar, two text lines and a badge (PIL-drawn: no browser needed)."""
    img = Image.new("RGB", (640, 400), "white")
    draw = ImageDraw.Draw(img)
    draw.rounded_rectangle((24, 24, 616, 376), 28, fill=(30, 41, 59))
    if drop < 1:
        draw.rounded_rectangle((64 + dx, 64, 360 + dx, 120), 12, fill=color)
    if drop < 2:
        draw.text((64 + dx, 170), "Revenue this week", fill="white", font_size=32)
        draw.text((64 + dx, 230), "$12,480  +8.1%", fill=(148, 163, 184), font_size=40)
    draw.ellipse((480 + dx, 250, 560 + dx, 330), fill=(250, 204, 21))
    return img


def candidates(n: int) -> list[Image.Image]:
    base = widget()
    pool = [base, widget(dx=8), widget(dx=24), widget(color=(220, 38, 38)), widget(drop=1), widget(drop=2),
            base.filter(ImageFilter.GaussianBlur(2)), base.resize((600, 380))]
    return [pool[i % len(pool)] for i in range(n)]


def best_seconds(fn: Callable[[], object], repeats: int) -> float:
    """Median wall time of `repeats` calls after one warm-up call."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--group", type=int, default=8, help="candidates per group")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # the random-backbone warning is expected here

    ref, cands = widget(), candidates(args.group)
    refs = [ref] * len(cands)
    results: dict[str, dict[str, float]] = {}
    for size in (256, 512):
        reward = ProgrammaticReward(working_size=size, allow_random_backbone=True, device="cpu")
        batch = prepare_pairs(refs, cands, size)
        singles = [prepare_pairs([ref], [c], size) for c in cands]
        timed: dict[str, tuple[Callable[[], object], Callable[[], object]]] = {
            "prepare": (lambda s=size: prepare_pairs(refs, cands, s),
                        lambda s=size: [prepare_pairs([ref], [c], s) for c in cands]),
            "programmatic": (lambda r=reward: r.score(refs, cands),
                             lambda r=reward: [r.score([ref], [c]) for c in cands]),
        }
        functions = dict(reward.metric_functions())
        if size > 256:  # LPIPS at the full working size, for comparison with the default cap (256 px)
            functions["lpips_uncapped"] = lambda b, r=reward: lpips_similarity(r.lpips_model, b, max_size=None)
        for name, fn in functions.items():
            timed[name] = (lambda f=fn, b=batch: f(b), lambda f=fn, ss=singles: [f(s) for s in ss])
        for name, (batched, single) in timed.items():
            t_batched, t_single = best_seconds(batched, args.repeats), best_seconds(single, args.repeats)
            results[f"{name}@{size}"] = {
                "batched_pairs_per_s": round(len(cands) / t_batched, 1),
                "single_pairs_per_s": round(len(cands) / t_single, 1),
                "batched_over_single": round(t_single / t_batched, 2),
                "batched_group_ms": round(t_batched * 1000, 1),
            }
    print(json.dumps({
        "bench": "reward_throughput", "group": len(cands), "image_px": list(ref.size),
        "cpu_count": os.cpu_count(), "torch_threads": torch.get_num_threads(), "machine": platform.machine(),
        "target": "programmatic@512 batched_group_ms well under 1000",
        "results": results,
    }))


if __name__ == "__main__":
    main()

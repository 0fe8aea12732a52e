"""SFT step speed on this machine: tokens/s, peak memory and the data loader's share of a step.

    python scripts/bench/train_step.py [--dataset DIR] [--steps 3] [--batch-size 4] [--max-length 1024]

For the tiny and small presets of the tiny GLM-4V, each with and without gradient checkpointing, a
full fine-tune (what sft_tiny and the demo train) runs `--steps` SFT steps after one warm-up step:
the batch from the data module's loader (decode, fit, processor, collate: what Lightning's loop
waits for), then forward, backward, clipping and AdamW through `SFTModule`. Both parts are timed in
the same steps, so `data_share` is the loader's share of a whole step. `tokens_per_s` counts the
batch's non-padding tokens over the whole step. Each configuration runs in its own process, so
`peak_rss_mb` is that configuration's own peak (libraries included; `rss_before_mb` is the process
after imports and the model build, before training). The dataset is `--dataset` (default
data/synthetic, which `make data` builds); when it is missing, the synthetic generator's widgets
with screenshots drawn by PIL stand in (no browser; the same sizes of work for the loader).
Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PRESETS = ("tiny", "small")


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def drawn_dataset(root: Path, n: int = 24) -> Path:
    """Synthetic widgets' TSX and traces with PIL-drawn stand-in screenshots, split 20/2/2."""
    from PIL import Image, ImageDraw

    from widget2code.data.manifest import SampleRecord, write_manifest
    from widget2code.data.synthetic import generate_widgets

    records = []
    for i, widget in enumerate(generate_widgets(n, seed=0)):
        image = Image.new("RGB", (420 + 10 * (i % 5), 300 + 8 * (i % 4)), "#f8fafc" if i % 2 else "#0f172a")
        ImageDraw.Draw(image).rounded_rectangle([48, 48, image.width - 48, image.height - 48], 16, fill="#3b82f6")
        image.save(root / f"w{i}.png")
        (root / f"w{i}.tsx").write_text(widget.tsx, encoding="utf-8")
        split = "train" if i < n - 4 else ("val" if i < n - 2 else "test")
        records.append(SampleRecord(id=f"synthetic-{i:04d}", source="synthetic", category=widget.category,
                                    tsx=f"w{i}.tsx", image=f"w{i}.png", width=image.width, height=image.height,
                                    split=split, cot=widget.cot))
    write_manifest(root, records)
    return root


def one(dataset: Path, preset: str, checkpointing: bool, steps: int, batch_size: int, max_length: int) -> dict:
    """Time `steps` SFT steps of one configuration in this process."""
    import torch

    from widget2code.data.datamodule import WidgetDataModule
    from widget2code.data.tiny_model import build_tiny_from_dataset
    from widget2code.models.adapters import AdapterSettings, attach_adapters
    from widget2code.training.optim import OptimizerSettings, configure_adamw
    from widget2code.training.sft import SFTModule

    torch.manual_seed(0)
    loaded = build_tiny_from_dataset("glm4v", dataset, preset=preset)  # type: ignore[arg-type]
    model = attach_adapters(loaded.model, AdapterSettings(method="none", gradient_checkpointing=checkpointing))
    module = SFTModule(model, loaded.processor, OptimizerSettings(lr=1e-4))
    optimizer = configure_adamw(model, module.optimizer_settings, steps + 1)["optimizer"]
    data = WidgetDataModule(dataset, loaded.processor, batch_size=batch_size, max_length=max_length, seed=0)
    data.setup("fit")
    rss_before = rss_mb()
    model.train()

    data_s = step_s = 0.0
    tokens = sequence = 0
    batches = iter(data.train_dataloader())
    for step in range(steps + 1):
        started = time.perf_counter()
        try:
            batch = next(batches)
        except StopIteration:
            batches = iter(data.train_dataloader())
            batch = next(batches)
        loaded_at = time.perf_counter()
        loss = module.training_step(batch, step)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        ended = time.perf_counter()
        if step:  # the first step warms up (allocator, kernels, lazy imports)
            data_s += loaded_at - started
            step_s += ended - started
            tokens += int(batch["attention_mask"].sum())
            sequence = max(sequence, batch["input_ids"].shape[1])
    return {
        "params_m": round(sum(p.numel() for p in model.parameters()) / 1e6, 2),
        "tokens_per_s": round(tokens / step_s, 1),
        "step_s": round(step_s / steps, 3),
        "data_share": round(data_s / step_s, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "rss_before_mb": round(rss_before, 1),
        "tokens_per_batch": round(tokens / steps, 1),
        "max_sequence": sequence,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, default=Path("data/synthetic"))
    parser.add_argument("--steps", type=int, default=3, help="measured steps per configuration (after 1 warm-up)")
    parser.add_argument("--batch-size", type=int, default=4)
    parser.add_argument("--max-length", type=int, default=1024, help="sequences are cut here (sft_tiny's)")
    parser.add_argument("--one", nargs=2, metavar=("PRESET", "CHECKPOINTING"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:  # a child: one configuration, its figures as JSON on stdout
        preset, checkpointing = args.one
        print(json.dumps(one(args.dataset, preset, checkpointing == "1", args.steps, args.batch_size,
                             args.max_length)))
        return

    with tempfile.TemporaryDirectory() as tmp:
        dataset = args.dataset if (args.dataset / "manifest.jsonl").is_file() else drawn_dataset(Path(tmp))
        results = {}
        for preset in PRESETS:
            for checkpointing in (False, True):
                child = subprocess.run(
                    [sys.executable, __file__, "--dataset", str(dataset), "--steps", str(args.steps),
                     "--batch-size", str(args.batch_size), "--max-length", str(args.max_length),
                     "--one", preset, str(int(checkpointing))],
                    capture_output=True, text=True, check=True)
                results[f"{preset}{'+gc' if checkpointing else ''}"] = json.loads(child.stdout.strip().splitlines()[-1])
    print(json.dumps({
        "bench": "train_step",
        "model": "tiny GLM-4V, full fine-tune, float32",
        "dataset": str(args.dataset) if dataset == args.dataset else "synthetic widgets, PIL-drawn screenshots",
        "batch_size": args.batch_size,
        "max_length": args.max_length,
        "steps": args.steps,
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "torch_threads": __import__("torch").get_num_threads(),
        "results": results,
    }))


if __name__ == "__main__":
    main()

"""The two LLM collection paths: reverse-engineer real screenshots, or have the model design widgets.

- `collect_widget_factory`: each screenshot in a folder goes to a VLM with `prompts/reverse_engineer_*`;
  the TSX it answers is rendered and kept with its measured SSIM against the screenshot
  (`metrics["collect_ssim"]`; render_verify applies the threshold later). Ids are `widget-<file stem>`.
- `generate_synthetic_llm`: a seeded random category and style brief go to the model with
  `prompts/generate_*`; the render of its answer becomes the image. Ids are `llmgen-s<seed>-<index>`,
  apart from the procedural generator's `synthetic-*`.

Both write a dataset dir (tsx/, images/, manifest.jsonl, rejected/), are resumable (a rerun sends no
request for an id already kept or rejected; ids that failed at the API are retried), stop on the
first request when the key or endpoint is wrong, and report the run's tokens and cost.
"""

from __future__ import annotations

import io
import os
import random
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError
from rich.progress import Progress

from widget2code.data.manifest import SampleRecord
from widget2code.data.progress import track
from widget2code.data.prompts import Prompt, load_prompt
from widget2code.data.similarity import ssim
from widget2code.data.stages.base import RecordOutput, StageReport
from widget2code.data.stages.llm_calls import ask_in_chunks, extract_tsx, image_message, usage_delta
from widget2code.data.stages.render_verify import IMAGE_FROM_RENDER, RendersMany
from widget2code.files import atomic_write_bytes, atomic_write_text
from widget2code.llm import ChatResult, OpenAICompatibleClient, image_to_data_url
from widget2code.task import USER_PROMPT

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")


class CollectError(ValueError):
    """The collection input is unusable (no such folder, no screenshots, colliding ids)."""


@dataclass(frozen=True)
class _Job:
    """One sample to ask for: its record (paths relative to the output dir) and what to send."""

    record: SampleRecord
    user_text: str
    screenshot: Path | None = None  # for reverse engineering; copied as PNG to the record's image

    def screenshot_png(self) -> bytes:
        try:
            with Image.open(self.screenshot) as image:  # type: ignore[arg-type]
                buffer = io.BytesIO()
                (image if image.mode in ("RGB", "RGBA") else image.convert("RGB")).save(buffer, format="PNG")
                return buffer.getvalue()
        except (OSError, UnidentifiedImageError) as err:
            raise CollectError(f"screenshot {self.screenshot} is not a readable image: {err}") from err


def screenshot_ids(screenshots_dir: str | os.PathLike[str]) -> list[tuple[str, Path]]:
    """(id, path) of every screenshot in the folder, sorted by file name; ids are `widget-<stem>`."""
    folder = Path(screenshots_dir)
    if not folder.is_dir():
        raise CollectError(f"screenshots folder {folder} does not exist or is not a folder")
    paths = sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES and p.is_file())
    if not paths:
        raise CollectError(f"no screenshots ({', '.join(IMAGE_SUFFIXES)}) in {folder}")
    seen: dict[str, Path] = {}
    for path in paths:
        widget_id = "widget-" + re.sub(r"[^A-Za-z0-9_.-]+", "_", path.stem)
        if widget_id in seen:
            raise CollectError(f"screenshots {seen[widget_id].name} and {path.name} map to the same id {widget_id}")
        seen[widget_id] = path
    return list(seen.items())


def collect_widget_factory(screenshots_dir: str | os.PathLike[str], out_dir: str | os.PathLike[str],
                           client: OpenAICompatibleClient, renderer: RendersMany, *, num_samples: int | None = None,
                           workers: int = 4, prompt_version: str = "v1", max_tokens: int = 4096,
                           ssim_max_side: int = 256, progress: Progress | None = None) -> StageReport:
    """Reverse-engineer up to `num_samples` screenshots (in file-name order) into TSX; see the module doc."""
    prompt = load_prompt("reverse_engineer", prompt_version)
    jobs = []
    for widget_id, path in screenshot_ids(screenshots_dir)[:num_samples]:
        record = SampleRecord(id=widget_id, source="widget_factory", category="unknown", tsx=f"tsx/{widget_id}.tsx",
                              image=f"images/{widget_id}.png", provenance={"screenshot": path.name})
        jobs.append(_Job(record, USER_PROMPT, screenshot=path))
    return _collect("collect_widget_factory", jobs, Path(out_dir), client, renderer, prompt, workers=workers,
                    max_tokens=max_tokens, ssim_max_side=ssim_max_side, progress=progress)


def style_brief(rng: random.Random) -> str:
    """A random style brief: theme, accent, size, shape and density."""
    theme = rng.choice(["light, white or very light grey background", "dark, near-black background",
                        "a soft two-colour gradient background", "a vivid gradient background with white text",
                        "glassy translucent card on a muted colour"])
    accent = rng.choice(["blue", "indigo", "violet", "pink", "red", "orange", "amber", "green", "teal", "cyan"])
    size = rng.choice(["small square (about 170x170 px)", "medium wide (about 360x170 px)",
                       "large (about 360x380 px)", "tall (about 170x360 px)"])
    corners = rng.choice(["sharp corners", "rounded corners", "very rounded corners"])
    density = rng.choice(["minimal, few elements", "balanced", "information-dense"])
    return f"{theme}; {accent} accent; {size}; {corners}; {density}"


def generate_synthetic_llm(out_dir: str | os.PathLike[str], client: OpenAICompatibleClient, renderer: RendersMany, *,
                           num_samples: int, workers: int = 4, seed: int = 0, categories: Sequence[str] | None = None,
                           prompt_version: str = "v1", max_tokens: int = 4096,
                           progress: Progress | None = None) -> StageReport:
    """Ask the model for `num_samples` widgets of seeded random categories and styles; see the module doc."""
    if num_samples < 0:
        raise CollectError(f"num_samples must be >= 0, got {num_samples}")
    if categories is None:
        from widget2code.data.synthetic import CATEGORIES as categories
    prompt = load_prompt("generate", prompt_version)
    jobs = []
    for index in range(num_samples):
        rng = random.Random(f"llmgen:{seed}:{index}")
        category, brief = rng.choice(list(categories)), style_brief(rng)
        widget_id = f"llmgen-s{seed}-{index:05d}"
        record = SampleRecord(id=widget_id, source="llm_synthetic", category=category, tsx=f"tsx/{widget_id}.tsx",
                              image=f"images/{widget_id}.png",
                              provenance={"image_from": IMAGE_FROM_RENDER, "seed": seed, "brief": brief})
        text = prompt.text.replace("$category", category).replace("$brief", brief)
        jobs.append(_Job(record, text))
    return _collect("generate_synthetic_llm", jobs, Path(out_dir), client, renderer, prompt, workers=workers,
                    max_tokens=max_tokens, progress=progress)


def _collect(stage: str, jobs: list[_Job], out_dir: Path, client: OpenAICompatibleClient, renderer: RendersMany,
             prompt: Prompt, *, workers: int, max_tokens: int, progress: Progress | None,
             ssim_max_side: int = 256) -> StageReport:
    """Ask, render, judge and record every job not done yet."""
    start = time.perf_counter()
    report = StageReport(stage, inputs=len(jobs))
    params = {**prompt.provenance(), "model": client.model}
    before = client.usage.as_dict()
    with RecordOutput(out_dir, params) as out, track(progress, stage, len(jobs)) as advance:
        todo = [job for job in jobs if job.record.id not in out.done_ids]
        report.resumed = len(jobs) - len(todo)
        advance(report.resumed)

        def messages(job: _Job) -> list[dict]:
            if job.screenshot is None:
                return [{"role": "user", "content": job.user_text}]
            return image_message(prompt.text, image_to_data_url(job.screenshot_png()), job.user_text)

        def handle(answers: list[tuple[_Job, ChatResult]]) -> None:
            coded = []
            for job, answer in answers:
                record = job.record
                record.provenance.update({"model": answer.model, **prompt.provenance(),
                                          "input_tokens": answer.input_tokens, "output_tokens": answer.output_tokens})
                if job.screenshot is not None:
                    png = job.screenshot_png()
                    atomic_write_bytes(out_dir / record.image, png)
                    with Image.open(io.BytesIO(png)) as image:
                        record.width, record.height = image.size
                code = extract_tsx(answer.text)
                if code is None:
                    out.reject(record, out_dir, "no_code", answer.text[:300])
                    continue
                atomic_write_text(out_dir / record.tsx, code + "\n")
                coded.append((record, code))
            results = renderer.render_many([code for _, code in coded]) if coded else []
            for (record, _), result in zip(coded, results, strict=True):
                if not result.ok:
                    out.reject(record, out_dir, str(result.error_kind), result.message)
                elif record.provenance.get("image_from") != IMAGE_FROM_RENDER:  # a screenshot to compare with
                    with Image.open(out_dir / record.image) as reference:
                        record.metrics["collect_ssim"] = round(ssim(reference, result.image, ssim_max_side), 4)
                    out.keep(record, out_dir)
                else:  # the render is the image
                    atomic_write_bytes(out_dir / record.image, result.png or b"")
                    record.width, record.height = result.width, result.height
                    out.keep(record, out_dir)
            advance(len(answers))

        report.pending = ask_in_chunks(client, todo, messages, handle, chunk_size=max(1, workers) * 2,
                                       max_tokens=max_tokens)
        report = out.finish(report, [job.record.id for job in jobs])
    report.extra["usage"] = usage_delta(before, client.usage.as_dict())
    report.seconds = time.perf_counter() - start
    return report


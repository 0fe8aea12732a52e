"""annotate: a five-section reasoning trace for every record, the `<think>` part of the SFT target.

Synthetic records already carry the generator's own trace, written from the structure it built, so
they pass through with no API call. The others are sent with their image and code to the LLM with a
versioned prompt (`prompts/annotate_<version>.txt`); an answer without all five sections, in order,
is dropped as `malformed_cot`. The model and prompt version go to the record's provenance.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

from rich.progress import Progress

from widget2code.data.manifest import SampleRecord, read_manifest
from widget2code.data.progress import track
from widget2code.data.prompts import load_prompt
from widget2code.data.stages.base import RecordOutput, StageReport
from widget2code.data.stages.llm_calls import ask_in_chunks, image_message, usage_delta
from widget2code.llm import ChatResult, LLMConfigError, OpenAICompatibleClient, image_to_data_url

#: The five sections, as patterns on their headings (either spelling of colour).
SECTIONS = (
    ("layout and structure", r"layout"),
    ("components", r"components?"),
    ("colours and typography", r"colou?rs?"),
    ("spacing and sizes", r"spacing|sizes?"),
    ("implementation plan", r"implementation|plan"),
)
_HEADING = re.compile(r"^\s*(?:#{1,6}\s*|\*\*|\d+[.)]\s*)?(?P<title>[A-Za-z][^\n]{0,60}?)\**\s*:?\s*$", re.MULTILINE)
_THINK = re.compile(r"^\s*<think>(.*)</think>\s*$", re.DOTALL)


def has_five_sections(trace: str) -> bool:
    """True when the trace has the five section headings in order (see SECTIONS)."""
    titles = [m.group("title").lower() for m in _HEADING.finditer(trace)]
    position = 0
    for _, pattern in SECTIONS:
        while position < len(titles) and not re.match(pattern, titles[position]):
            position += 1
        if position == len(titles):
            return False
        position += 1
    return True


def annotate(in_dir: str | os.PathLike[str], out_dir: str | os.PathLike[str],
             client: OpenAICompatibleClient | None = None, *, prompt_version: str = "v1", chunk_size: int = 16,
             max_tokens: int = 1500, progress: Progress | None = None) -> StageReport:
    """Give every record a `cot`; resumable (a rerun skips done ids and asks only for the missing ones)."""
    start = time.perf_counter()
    in_dir = Path(in_dir)
    records = read_manifest(in_dir)
    prompt = load_prompt("annotate", prompt_version)
    report = StageReport("annotate", inputs=len(records))
    params = {**prompt.provenance(), "model": getattr(client, "model", None)}
    with RecordOutput(out_dir, params) as out, track(progress, "annotate", len(records)) as advance:
        todo = [r for r in records if r.id not in out.done_ids]
        report.resumed = len(records) - len(todo)
        advance(report.resumed)
        need_api = []
        for record in todo:
            if record.cot:
                record.provenance.setdefault("cot_source", "generator")
                out.keep(record, in_dir)
                advance(1)
            else:
                need_api.append(record)
        if need_api and client is None:
            raise LLMConfigError(f"{len(need_api)} record(s) in {in_dir} have no reasoning trace "
                                 f"(e.g. {need_api[0].id}) and no LLM client was given to write one")

        def messages(record: SampleRecord) -> list[dict]:
            code = (in_dir / record.tsx).read_text(encoding="utf-8")
            with open(in_dir / record.image, "rb") as image:
                url = image_to_data_url(image.read())
            return image_message(prompt.text, url, f"The TSX code of this widget:\n\n{code}")

        def handle(answers: list[tuple[SampleRecord, ChatResult]]) -> None:
            for record, answer in answers:
                trace = answer.text.strip()
                inner = _THINK.match(trace)
                trace = inner.group(1).strip() if inner else trace
                record.provenance.update({"cot_source": "llm", "cot_model": answer.model,
                                          "cot_prompt": prompt.id, "cot_prompt_sha": prompt.sha})
                record.metrics["cot_tokens"] = answer.output_tokens
                if has_five_sections(trace):
                    record.cot = trace
                    out.keep(record, in_dir)
                else:
                    out.reject(record, in_dir, "malformed_cot", trace[:300])
                advance(1)

        if need_api and client is not None:
            before = client.usage.as_dict()
            report.pending = ask_in_chunks(client, need_api, messages, handle, chunk_size=chunk_size,
                                           max_tokens=max_tokens)
            report.extra["usage"] = usage_delta(before, client.usage.as_dict())
        report = out.finish(report, [r.id for r in records])
    report.seconds = time.perf_counter() - start
    return report


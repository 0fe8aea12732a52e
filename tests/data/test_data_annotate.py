from __future__ import annotations

import pytest
from PIL import Image
from support.openai_server import Fault, request_images, request_text

from widget2code.data.manifest import SampleRecord, read_manifest, write_manifest
from widget2code.data.prompts import load_prompt
from widget2code.data.stages.annotate import annotate, has_five_sections
from widget2code.data.synthetic import HEADINGS, generate_widget
from widget2code.files import atomic_write_text
from widget2code.llm import LLMConfigError, OpenAICompatibleClient

TRACE = "\n\n".join(f"{h}\nAbout {h.split('. ')[1].lower()} of the widget." for h in HEADINGS)


def dataset(root, n_plain: int, n_synthetic: int = 0):
    recs = []
    (root / "img").mkdir(parents=True)
    for i in range(n_plain + n_synthetic):
        widget = generate_widget(i, "notification")
        atomic_write_text(root / "tsx" / f"{i}.tsx", widget.tsx)
        Image.new("RGB", (64 + i, 48), (20 * i, 90, 200)).save(root / "img" / f"{i}.png")
        synthetic = i >= n_plain
        recs.append(SampleRecord(id=f"{'synthetic' if synthetic else 'widget'}-{i}", source="x", category="c",
                                 tsx=f"tsx/{i}.tsx", image=f"img/{i}.png", cot=widget.cot if synthetic else None))
    write_manifest(root, recs)
    return root


def client_for(server, **kwargs):
    return OpenAICompatibleClient(base_url=server.base_url, model="annotator-1", max_retries=0, **kwargs)


def test_prompt_asks_for_the_generators_five_sections():
    text = load_prompt("annotate", "v1").text
    assert all(heading in text for heading in HEADINGS)
    assert has_five_sections(TRACE) and has_five_sections(generate_widget(1, "clock").cot)
    assert not has_five_sections(TRACE.replace(HEADINGS[3], "Other"))
    swapped = TRACE.replace(HEADINGS[0], "@@").replace(HEADINGS[1], HEADINGS[0]).replace("@@", HEADINGS[1])
    assert not has_five_sections(swapped)


def test_annotate_asks_only_for_records_without_a_trace(tmp_path, openai_server):
    openai_server.responder = lambda body: f"<think>{TRACE}</think>"
    src = dataset(tmp_path / "in", n_plain=3, n_synthetic=2)
    report = annotate(src, tmp_path / "out", client_for(openai_server), chunk_size=2)

    assert len(openai_server.requests) == 3 and not openai_server.shape_errors
    body = openai_server.requests[0].body
    assert body["model"] == "annotator-1" and body["max_tokens"] == 1500
    assert "1. Layout and structure" in body["messages"][0]["content"]
    with Image.open(src / "img" / "0.png") as sent:
        assert len(request_images(body)) == 1 and sent.size == (64, 48)
    assert (src / "tsx" / "0.tsx").read_text() in request_text(body)
    out = {r.id: r for r in read_manifest(tmp_path / "out")}
    assert out["widget-0"].cot == TRACE  # the <think> wrapper is stripped
    assert out["widget-0"].provenance["cot_model"] == "annotator-1"
    assert out["widget-0"].provenance["cot_prompt"] == "annotate_v1"
    assert out["synthetic-3"].provenance["cot_source"] == "generator"
    assert report.extra["usage"]["requests"] == 3
    assert report.extra["usage"]["input_tokens"] == openai_server.usage_sent["prompt_tokens"]
    # Everything is done: a rerun sends nothing.
    again = annotate(src, tmp_path / "out", client_for(openai_server))
    assert again.resumed == 5 and len(openai_server.requests) == 3


def test_malformed_traces_are_dropped_and_api_failures_retried_by_a_rerun(tmp_path, openai_server):
    def responder(body):
        if "malformed" in request_text(body):
            return "Looks like a widget."
        if "fail-me" in request_text(body):
            raise Fault.server_error()
        return TRACE

    openai_server.responder = responder
    src = dataset(tmp_path / "in", n_plain=4)
    atomic_write_text(src / "tsx" / "1.tsx", "// malformed\n" + (src / "tsx" / "1.tsx").read_text())
    atomic_write_text(src / "tsx" / "2.tsx", "// fail-me\n" + (src / "tsx" / "2.tsx").read_text())
    report = annotate(src, tmp_path / "out", client_for(openai_server), chunk_size=4)
    assert report.kept == 2 and report.dropped == {"malformed_cot": 1} and report.pending == 1
    assert len(openai_server.requests) == 4

    atomic_write_text(src / "tsx" / "2.tsx", (src / "tsx" / "2.tsx").read_text().replace("fail-me", "fixed"))
    again = annotate(src, tmp_path / "out", client_for(openai_server))
    assert again.pending == 0 and again.kept == 3 and len(openai_server.requests) == 5  # only the failed one


def test_no_client_for_records_without_a_trace_is_a_clear_error(tmp_path):
    src = dataset(tmp_path / "in", n_plain=1, n_synthetic=1)
    with pytest.raises(LLMConfigError, match="no reasoning trace"):
        annotate(src, tmp_path / "out", None)
    only_synthetic = dataset(tmp_path / "in2", n_plain=0, n_synthetic=2)
    assert annotate(only_synthetic, tmp_path / "out2", None).kept == 2

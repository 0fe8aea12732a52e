from __future__ import annotations

import hashlib
import io
import socket

import pytest
from PIL import Image
from support.openai_server import Fault, request_images, request_text

from widget2code.data.manifest import read_manifest
from widget2code.data.stages.collect import CollectError, collect_widget_factory, generate_synthetic_llm
from widget2code.data.synthetic import generate_widget
from widget2code.llm import LLMConfigError, LLMError, OpenAICompatibleClient

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WIDGETS = {name: generate_widget(seed, category) for name, seed, category in
           (("alpha", 21, "weather"), ("beta", 22, "chat"), ("gamma", 23, "countdown"), ("delta", 24, "battery"))}


def pixels_key(png: bytes) -> str:
    with Image.open(io.BytesIO(png)) as image:
        return hashlib.sha256(image.convert("RGB").tobytes()).hexdigest()


class CountingRenderer:
    def __init__(self, renderer, interrupt_after: int | None = None):
        self.renderer, self.rendered, self.interrupt_after = renderer, 0, interrupt_after

    def render_many(self, sources, progress=False):
        if self.interrupt_after is not None and self.rendered >= self.interrupt_after:
            raise KeyboardInterrupt  # Ctrl-C in the middle of a run
        self.rendered += len(sources)
        return self.renderer.render_many(sources)


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory, renderer):
    """Real screenshots (renders of known widgets) and the TSX that made each, keyed by pixels."""
    folder = tmp_path_factory.mktemp("screens")
    answers = {}
    for (name, widget), result in zip(WIDGETS.items(), renderer.render_many([w.tsx for w in WIDGETS.values()]),
                                      strict=True):
        (folder / f"{name}.png").write_bytes(result.png)
        answers[pixels_key(result.png)] = widget.tsx
    return folder, answers


def client_for(server, **kwargs):
    return OpenAICompatibleClient(base_url=server.base_url, model="vlm-test", max_retries=0,
                                  price_per_1k_input=0.5, price_per_1k_output=1.0, **kwargs)


def test_widget_factory_reverse_engineers_renders_and_measures(tmp_path, screenshots, openai_server, renderer):
    folder, answers = screenshots

    def responder(body):
        tsx = answers[pixels_key(request_images(body)[0])]
        if "countdown" in tsx.lower():
            return "```tsx\n" + tsx.replace("export default", "export defualt") + "\n```"  # does not compile
        return f"<code>{tsx}</code>"

    openai_server.responder = responder
    client = client_for(openai_server)
    report = collect_widget_factory(folder, tmp_path / "raw", client, CountingRenderer(renderer), num_samples=4,
                                    workers=2)

    assert len(openai_server.requests) == 4 and not openai_server.shape_errors
    body = openai_server.requests[0].body
    assert body["messages"][0]["role"] == "system" and "Tailwind" in body["messages"][0]["content"]
    assert body["model"] == "vlm-test" and len(request_images(body)) == 1
    kept = {r.id: r for r in read_manifest(tmp_path / "raw")}
    dropped = {r.id: r for r in read_manifest(tmp_path / "raw" / "rejected")}
    assert set(kept) == {"widget-alpha", "widget-beta", "widget-delta"}
    assert dropped["widget-gamma"].metrics["drop_reason"] in ("syntax", "no_component")
    for record in kept.values():
        assert record.metrics["collect_ssim"] > 0.99  # the right code renders to its screenshot
        assert record.provenance["model"] == "vlm-test" and record.provenance["prompt"] == "reverse_engineer_v1"
        with Image.open(tmp_path / "raw" / record.image) as image:
            assert image.size == (record.width, record.height)
    usage = report.extra["usage"]
    assert usage["requests"] == 4
    assert usage["input_tokens"] == openai_server.usage_sent["prompt_tokens"]
    assert usage["cost_usd"] == pytest.approx(
        (openai_server.usage_sent["prompt_tokens"] * 0.5 + openai_server.usage_sent["completion_tokens"]) / 1000)
    # A rerun sends no request and renders nothing.
    counting = CountingRenderer(renderer)
    again = collect_widget_factory(folder, tmp_path / "raw", client, counting, num_samples=4, workers=2)
    assert again.resumed == 4 and len(openai_server.requests) == 4 and counting.rendered == 0


def test_collection_resumes_after_ctrl_c_and_retries_api_failures(tmp_path, screenshots, openai_server, renderer):
    folder, answers = screenshots
    flaky = {"gamma": 1}  # the gamma screenshot fails once at the API

    def responder(body):
        tsx = answers[pixels_key(request_images(body)[0])]
        if "countdown" in tsx.lower() and flaky["gamma"]:
            flaky["gamma"] -= 1
            raise Fault.server_error()
        return f"<code>{tsx}</code>"

    openai_server.responder = responder
    client = client_for(openai_server)
    # First run: the first request goes alone, then Ctrl-C lands while the next chunk is being rendered.
    with pytest.raises(KeyboardInterrupt):
        collect_widget_factory(folder, tmp_path / "raw", client, CountingRenderer(renderer, interrupt_after=1),
                               workers=1)
    assert [r.id for r in read_manifest(tmp_path / "raw")] == ["widget-alpha"]
    sent = len(openai_server.requests)
    # Second run: one request fails at the API; it is left for the next run, not recorded as done.
    report = collect_widget_factory(folder, tmp_path / "raw", client, CountingRenderer(renderer), workers=1)
    assert report.resumed == 1 and report.pending == 1 and report.kept == 3
    assert len(openai_server.requests) == sent + 3
    # Third run: only the failed one is asked again.
    report = collect_widget_factory(folder, tmp_path / "raw", client, CountingRenderer(renderer), workers=1)
    assert report.pending == 0 and report.kept == 4 and len(openai_server.requests) == sent + 4
    assert sorted(r.id for r in read_manifest(tmp_path / "raw")) == sorted(f"widget-{n}" for n in WIDGETS)


def test_generate_synthetic_llm_ids_briefs_and_rendered_images(tmp_path, openai_server, renderer):
    def responder(body):
        text = request_text(body)
        category = text.split("Widget: a ", 1)[1].split(" widget.", 1)[0]
        if category == "chat":
            return "I cannot draw that."
        return f"<code>{generate_widget(len(text), category).tsx}</code>"

    openai_server.responder = responder
    client = client_for(openai_server)
    categories = ["weather", "chat", "battery"]
    report = generate_synthetic_llm(tmp_path / "gen", client, renderer, num_samples=6, workers=2, seed=7,
                                    categories=categories)
    kept, dropped = read_manifest(tmp_path / "gen"), read_manifest(tmp_path / "gen" / "rejected")
    assert len(kept) + len(dropped) == 6 and report.pending == 0
    assert all(r.id.startswith("llmgen-s7-") for r in kept + dropped)
    assert {r.metrics["drop_reason"] for r in dropped} <= {"no_code"}
    assert all(r.category == "chat" for r in dropped) and all(r.category != "chat" for r in kept)
    for record in kept:
        assert record.category in categories and record.provenance["brief"]
        with Image.open(tmp_path / "gen" / record.image) as image:  # the render is the image
            assert image.size == (record.width, record.height) and record.width > 50
    # Same seed, same prompts (so a rerun asks nothing); another seed, other ids and briefs.
    prompts = [request_text(r.body) for r in openai_server.requests]
    assert generate_synthetic_llm(tmp_path / "gen", client, renderer, num_samples=6, seed=7,
                                  categories=categories).resumed == 6
    generate_synthetic_llm(tmp_path / "gen2", client, renderer, num_samples=6, seed=7, categories=categories)
    assert sorted(request_text(r.body) for r in openai_server.requests[6:]) == sorted(prompts)


def test_bad_endpoints_and_inputs_fail_before_any_work(tmp_path, screenshots, renderer):
    from support.openai_server import FakeOpenAIServer

    folder, _ = screenshots
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    dead = OpenAICompatibleClient(base_url=f"http://127.0.0.1:{port}/v1", max_retries=0)
    with pytest.raises(LLMError, match="first request failed"):
        collect_widget_factory(folder, tmp_path / "a", dead, renderer)
    assert read_manifest(tmp_path / "a") == []

    with FakeOpenAIServer(api_key="right-key") as server:
        wrong = OpenAICompatibleClient(base_url=server.base_url, api_key="wrong-key", max_retries=0)
        with pytest.raises(LLMConfigError, match="401"):
            generate_synthetic_llm(tmp_path / "b", wrong, renderer, num_samples=5, categories=["clock"])
        assert len(server.requests) == 1

    with pytest.raises(LLMConfigError, match="W2C_TEST_NO_SUCH_KEY"):
        OpenAICompatibleClient(api_key_env="W2C_TEST_NO_SUCH_KEY")
    with pytest.raises(CollectError, match="does not exist"):
        collect_widget_factory(tmp_path / "nowhere", tmp_path / "c", dead, renderer)

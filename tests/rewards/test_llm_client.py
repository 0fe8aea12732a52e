"""The OpenAI-compatible client, with the real `openai` package against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import base64
import io
import pickle
import socket
import threading
import time

import pytest
from PIL import Image
from support.openai_server import FakeOpenAIServer, Fault, request_images, request_text

from widget2code.llm import ChatResult, LLMConfigError, LLMError, OpenAICompatibleClient, image_to_data_url

KEY_ENV = "W2C_TEST_LLM_KEY"


def client_for(server: FakeOpenAIServer, **settings: object) -> OpenAICompatibleClient:
    settings = {"model": "judge-model", "backoff_s": 0.01, "timeout_s": 5.0, "max_retries": 3, **settings}
    return OpenAICompatibleClient(base_url=server.base_url, **settings)


def image_message(text: str, image: Image.Image) -> list[dict]:
    return [{"role": "user", "content": [{"type": "text", "text": text},
                                         {"type": "image_url", "image_url": {"url": image_to_data_url(image)}}]}]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_request_carries_model_key_and_image_data_url(openai_server, monkeypatch):
    monkeypatch.setenv(KEY_ENV, "sk-test-123")
    openai_server.api_key = "sk-test-123"
    openai_server.responder = lambda body: f"saw {len(request_images(body))} image(s)"
    picture = Image.new("RGB", (12, 7), (200, 30, 60))
    client = client_for(openai_server, api_key_env=KEY_ENV)

    result = client.chat(image_message("describe", picture), temperature=0.0)

    assert result.text == "saw 1 image(s)"
    [request] = openai_server.requests
    assert openai_server.shape_errors == []
    assert request.body["model"] == "judge-model"
    assert request.body["temperature"] == 0.0
    assert request.headers["authorization"] == "Bearer sk-test-123"
    [sent] = request_images(request.body)
    assert Image.open(io.BytesIO(sent)).convert("RGB").tobytes() == picture.tobytes()
    assert (result.input_tokens, result.output_tokens) == (openai_server.usage_sent["prompt_tokens"],
                                                           openai_server.usage_sent["completion_tokens"])


def test_rate_limit_honours_retry_after_then_succeeds(openai_server):
    openai_server.fail(Fault.rate_limit(retry_after=0.3))
    client = client_for(openai_server)
    start = time.monotonic()
    result = client.chat([{"role": "user", "content": "hi"}])
    assert time.monotonic() - start >= 0.3  # waited as the server asked, not the 0.01 s backoff
    assert result.text == "ok" and result.attempts == 2
    assert len(openai_server.requests) == 2
    assert client.usage.retries == 1 and client.usage.failures == 0 and client.usage.requests == 1


@pytest.mark.parametrize("fault", [Fault.server_error(500), Fault.server_error(503), Fault.garbage()],
                         ids=["500", "503", "non-json-body"])
def test_transient_failures_are_retried(openai_server, fault):
    openai_server.fail(fault, fault)
    client = client_for(openai_server)
    assert client.chat([{"role": "user", "content": "hi"}]).attempts == 3
    assert client.usage.retries == 2 and len(openai_server.requests) == 3


def test_timeout_is_retried(openai_server):
    openai_server.fail(Fault.delay(1.5))
    client = client_for(openai_server, timeout_s=0.3, max_retries=1)
    result = client.chat([{"role": "user", "content": "hi"}])
    assert result.text == "ok" and result.attempts == 2  # the first attempt timed out


def test_gives_up_after_retries_with_the_url_in_the_error(openai_server):
    openai_server.fail(*[Fault.server_error()] * 5)
    client = client_for(openai_server, max_retries=2)
    with pytest.raises(LLMError, match=openai_server.base_url) as info:
        client.chat([{"role": "user", "content": "hi"}])
    assert "3 attempts" in str(info.value)
    assert len(openai_server.requests) == 3
    assert client.usage.failures == 1 and client.usage.requests == 0


def test_client_errors_are_not_retried(openai_server):
    openai_server.fail(Fault.server_error(400))
    client = client_for(openai_server)
    with pytest.raises(LLMError, match="HTTP 400"):
        client.chat([{"role": "user", "content": "hi"}])
    assert len(openai_server.requests) == 1


def test_rejected_key_is_a_config_error(openai_server):
    openai_server.api_key = "the-right-key"
    client = client_for(openai_server, api_key="a-wrong-key")
    with pytest.raises(LLMConfigError, match="HTTP 401"):
        client.chat([{"role": "user", "content": "hi"}])
    assert len(openai_server.requests) == 1


def test_missing_key_names_the_variable_and_the_config_key(monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    with pytest.raises(LLMConfigError, match=KEY_ENV) as info:
        OpenAICompatibleClient(model="gpt-4o-mini", api_key_env=KEY_ENV)
    assert "api_key_env" in str(info.value)


def test_local_server_without_key_gets_a_placeholder(openai_server, monkeypatch):
    monkeypatch.delenv(KEY_ENV, raising=False)
    client = client_for(openai_server, api_key_env=KEY_ENV)
    client.chat([{"role": "user", "content": "hi"}])
    assert openai_server.requests[0].headers["authorization"] == "Bearer EMPTY"


def test_unreachable_endpoint_raises_llm_error_with_url():
    url = f"http://127.0.0.1:{closed_port()}/v1"
    client = OpenAICompatibleClient(base_url=url, model="m", backoff_s=0.01, max_retries=2, timeout_s=2)
    with pytest.raises(LLMError, match=f"127.0.0.1:{url.split(':')[-1]}"):
        client.chat([{"role": "user", "content": "hi"}])
    assert client.usage.retries == 2 and client.usage.failures == 1


def test_chat_many_keeps_order_limits_concurrency_and_returns_failures_in_place(openai_server):
    in_flight, peak, lock = [0], [0], threading.Lock()

    def responder(body: dict) -> str:
        text = request_text(body)
        if text == "fail me":
            raise Fault.server_error(400)
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
        time.sleep(0.05)
        with lock:
            in_flight[0] -= 1
        return text.upper()

    openai_server.responder = responder
    client = client_for(openai_server, max_concurrency=2)
    prompts = ["one", "two", "fail me", "four", "five", "six"]
    results = client.chat_many([[{"role": "user", "content": p}] for p in prompts])

    assert [r.text if isinstance(r, ChatResult) else "error" for r in results] == [
        "ONE", "TWO", "error", "FOUR", "FIVE", "SIX"]
    assert isinstance(results[2], LLMError)
    assert 1 <= peak[0] <= 2
    assert client.usage.requests == 5 and client.usage.failures == 1


def test_token_and_cost_counters_match_what_the_server_reported(openai_server):
    openai_server.responder = lambda body: "a three word answer"
    client = client_for(openai_server, price_per_1k_input=2.0, price_per_1k_output=10.0)
    picture = Image.new("RGB", (8, 8), "white")
    client.chat_many([image_message(f"prompt number {i}", picture) for i in range(3)])
    sent = openai_server.usage_sent
    usage = client.usage.as_dict()
    assert usage["requests"] == 3
    assert (usage["input_tokens"], usage["output_tokens"]) == (sent["prompt_tokens"], sent["completion_tokens"])
    assert usage["cost_usd"] == pytest.approx(sent["prompt_tokens"] * 0.002 + sent["completion_tokens"] * 0.01)


def test_requests_per_minute_spaces_requests(openai_server):
    client = client_for(openai_server, requests_per_minute=600, max_concurrency=4)  # one per 0.1 s
    start = time.monotonic()
    client.chat_many([[{"role": "user", "content": str(i)}] for i in range(4)])
    assert time.monotonic() - start >= 0.3


def test_client_survives_pickling(openai_server):
    client = client_for(openai_server)
    client.chat([{"role": "user", "content": "before"}])
    clone = pickle.loads(pickle.dumps(client))
    assert clone.chat([{"role": "user", "content": "after"}]).text == "ok"
    assert clone.usage.requests == 1 and clone.base_url == client.base_url


def test_bad_settings_are_config_errors():
    with pytest.raises(LLMConfigError, match="max_concurrency"):
        OpenAICompatibleClient(base_url="http://127.0.0.1:1/v1", max_concurrency=0)


def test_image_to_data_url_accepts_images_and_bytes():
    rgba = Image.new("RGBA", (3, 2), (1, 2, 3, 128))
    url = image_to_data_url(rgba)
    assert url.startswith("data:image/png;base64,")
    decoded = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))
    assert decoded.mode == "RGBA" and decoded.getpixel((0, 0)) == (1, 2, 3, 128)

    jpeg = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(jpeg, format="JPEG")
    from_jpeg = base64.b64decode(image_to_data_url(jpeg.getvalue()).split(",", 1)[1])
    assert from_jpeg.startswith(b"\x89PNG") and Image.open(io.BytesIO(from_jpeg)).size == (4, 4)

    png = base64.b64decode(url.split(",", 1)[1])
    assert image_to_data_url(png) == url  # PNG bytes pass through untouched
    with pytest.raises(ValueError, match="not a decodable image"):
        image_to_data_url(b"not an image")
    with pytest.raises(TypeError, match="PIL image"):
        image_to_data_url("picture.png")  # type: ignore[arg-type]

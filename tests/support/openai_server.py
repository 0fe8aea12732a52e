"""A real OpenAI-compatible HTTP server on 127.0.0.1 for tests: POST /v1/chat/completions.

It validates the request shape (model, messages, image parts as base64 data URLs), records every
request, answers with the text a `responder(request_json) -> str` returns, reports token usage, and
can be told to misbehave with a queue of `Fault`s (one per request, taken before the responder runs):

    server.fail(Fault.rate_limit(retry_after=0.01), Fault.server_error())
    server.responder = lambda request: '{"score": 7}'

A responder may also raise a `Fault` itself, e.g. to fail only for some inputs. Register the fixture
with `pytest_plugins = ["support.openai_server"]`.
"""

from __future__ import annotations

import base64
import binascii
import collections
import io
import itertools
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from PIL import Image

_DATA_URL = re.compile(r"^data:image/(png|jpeg|webp|gif);base64,([A-Za-z0-9+/=]+)$")
_ROLES = {"system", "user", "assistant", "developer", "tool"}

Responder = Callable[[dict[str, Any]], str]


class Fault(Exception):
    """One misbehaviour: an HTTP error status, a non-JSON body, a given answer text, or a delay."""

    def __init__(self, kind: str, status: int = 500, retry_after: float | None = None, text: str = "",
                 delay_s: float = 0.0) -> None:
        super().__init__(kind)
        self.kind, self.status, self.retry_after, self.text, self.delay_s = kind, status, retry_after, text, delay_s

    @classmethod
    def rate_limit(cls, retry_after: float | None = 0.01) -> Fault:
        return cls("status", status=429, retry_after=retry_after)

    @classmethod
    def server_error(cls, status: int = 500) -> Fault:
        return cls("status", status=status)

    @classmethod
    def garbage(cls) -> Fault:
        """HTTP 200 whose body is not JSON at all."""
        return cls("garbage")

    @classmethod
    def answer(cls, text: str) -> Fault:
        """A well-formed completion whose answer text is `text` (e.g. malformed judge output)."""
        return cls("answer", text=text)

    @classmethod
    def delay(cls, seconds: float) -> Fault:
        """Wait `seconds` before answering normally (longer than the client's timeout = a timeout)."""
        return cls("delay", delay_s=seconds)


@dataclass
class RecordedRequest:
    body: dict[str, Any]
    headers: dict[str, str]
    shape_errors: list[str] = field(default_factory=list)


def request_images(body: dict[str, Any]) -> list[bytes]:
    """The decoded bytes of every image in a chat request, in message order."""
    images = []
    for message in body.get("messages", []):
        content = message.get("content")
        for part in content if isinstance(content, list) else []:
            if isinstance(part, dict) and part.get("type") == "image_url":
                match = _DATA_URL.match(part["image_url"]["url"])
                if match:
                    images.append(base64.b64decode(match.group(2)))
    return images


def request_text(body: dict[str, Any]) -> str:
    """All text of a chat request joined with newlines (system, user and assistant turns)."""
    texts = []
    for message in body.get("messages", []):
        content = message.get("content")
        if isinstance(content, str):
            texts.append(content)
        for part in content if isinstance(content, list) else []:
            if isinstance(part, dict) and part.get("type") == "text":
                texts.append(part.get("text", ""))
    return "\n".join(texts)


def check_shape(body: object) -> list[str]:
    """What is wrong with a chat-completions request body (empty when it is well formed)."""
    if not isinstance(body, dict):
        return ["body is not a JSON object"]
    errors = []
    if not isinstance(body.get("model"), str) or not body["model"]:
        errors.append("model must be a non-empty string")
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return [*errors, "messages must be a non-empty list"]
    for i, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in _ROLES:
            errors.append(f"messages[{i}] needs a role in {sorted(_ROLES)}")
            continue
        content = message.get("content")
        if isinstance(content, str):
            continue
        if not isinstance(content, list) or not content:
            errors.append(f"messages[{i}].content must be a string or a non-empty list of parts")
            continue
        for j, part in enumerate(content):
            errors.extend(f"messages[{i}].content[{j}]: {e}" for e in _check_part(part))
    return errors


def _check_part(part: object) -> list[str]:
    if not isinstance(part, dict):
        return ["part is not an object"]
    if part.get("type") == "text":
        return [] if isinstance(part.get("text"), str) else ["text part without a string 'text'"]
    if part.get("type") != "image_url":
        return [f"unknown part type {part.get('type')!r}"]
    url = (part.get("image_url") or {}).get("url") if isinstance(part.get("image_url"), dict) else None
    match = _DATA_URL.match(url or "")
    if not match:
        return [f"image_url.url is not a base64 image data URL: {str(url)[:60]!r}"]
    try:
        with Image.open(io.BytesIO(base64.b64decode(match.group(2), validate=True))) as image:
            image.verify()
    except (binascii.Error, OSError) as err:
        return [f"image data URL does not decode to an image: {err}"]
    return []


def default_responder(body: dict[str, Any]) -> str:
    return "ok"


class FakeOpenAIServer:
    """The server; `base_url` ends in /v1 like a real endpoint. Use as a context manager or fixture."""

    def __init__(self, responder: Responder = default_responder, api_key: str | None = None) -> None:
        self.responder = responder
        self.api_key = api_key  # when set, requests must send `Authorization: Bearer <api_key>`
        self.requests: list[RecordedRequest] = []
        self.responder_errors: list[Exception] = []  # exceptions (not Faults) the responder raised
        self.usage_sent = {"prompt_tokens": 0, "completion_tokens": 0}
        self._faults: collections.deque[Fault] = collections.deque()
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def fail(self, *faults: Fault) -> None:
        """Queue faults: the next requests get them, one each, in order."""
        with self._lock:
            self._faults.extend(faults)

    @property
    def shape_errors(self) -> list[str]:
        return [e for r in self.requests for e in r.shape_errors]

    def start(self) -> FakeOpenAIServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), name="fake-openai",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _next_fault(self) -> Fault | None:
        with self._lock:
            return self._faults.popleft() if self._faults else None

    def _handle(self, handler: BaseHTTPRequestHandler) -> tuple[int, dict[str, str], bytes]:
        """(status, headers, body) for one request."""
        if handler.path.rstrip("/") != "/v1/chat/completions":
            return _error(404, f"no route {handler.path}")
        raw = handler.rfile.read(int(handler.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw)
        except ValueError:
            body = raw.decode("utf-8", "replace")
        record = RecordedRequest(body=body if isinstance(body, dict) else {"raw": body},
                                 headers={k.lower(): v for k, v in handler.headers.items()},
                                 shape_errors=check_shape(body))
        with self._lock:
            self.requests.append(record)
        if self.api_key is not None and record.headers.get("authorization") != f"Bearer {self.api_key}":
            return _error(401, "invalid API key")
        if record.shape_errors:
            return _error(400, "; ".join(record.shape_errors))
        try:
            fault = self._next_fault()
            if fault is not None and fault.kind != "delay":
                raise fault
            if fault is not None:
                time.sleep(fault.delay_s)
            text = self.responder(body)
        except Fault as fault:
            if fault.kind == "status":
                headers = {} if fault.retry_after is None else {"Retry-After": str(fault.retry_after)}
                return _error(fault.status, f"injected HTTP {fault.status}", headers)
            if fault.kind == "garbage":
                return 200, {"Content-Type": "application/json"}, b"<html>this is not JSON{"
            text = fault.text
        except Exception as err:  # a bug in the test's responder: record it and answer 500
            with self._lock:
                self.responder_errors.append(err)
            return _error(500, f"the responder raised {type(err).__name__}: {err}")
        return 200, {"Content-Type": "application/json"}, json.dumps(self._completion(body, text)).encode()

    def _completion(self, body: dict[str, Any], text: str) -> dict[str, Any]:
        # Deterministic token counts: one per word of text, 85 per image (OpenAI's low-detail cost).
        usage = {"prompt_tokens": len(request_text(body).split()) + 85 * len(request_images(body)),
                 "completion_tokens": max(1, len(text.split()))}
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        with self._lock:
            for key in self.usage_sent:
                self.usage_sent[key] += usage[key]
        return {
            "id": f"chatcmpl-{next(self._ids)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body["model"],
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": usage,
        }

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                status, headers, payload = server._handle(self)
                try:
                    self.send_response(status)
                    for name, value in {**headers, "Content-Length": str(len(payload))}.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timed out) before the answer came

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    body = {"error": {"message": message, "type": "fake_server_error", "code": status}}
    return status, {"Content-Type": "application/json", **(headers or {})}, json.dumps(body).encode()


@pytest.fixture
def openai_server() -> Iterator[FakeOpenAIServer]:
    """A started `FakeOpenAIServer` answering "ok"; set `.responder` and `.fail(...)` in the test."""
    with FakeOpenAIServer() as server:
        yield server
    if server.responder_errors:
        pytest.fail(f"the test's responder raised: {server.responder_errors!r}")

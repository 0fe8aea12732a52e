"""The run report opened in headless Chromium as a user would: no console errors, every image loads."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from widget2code.evaluation.results import Summary

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_the_report_renders_without_errors_and_its_images_load(oracle_run: tuple[Summary, Path]) -> None:
    index = oracle_run[1] / "report" / "index.html"
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.on("requestfailed", lambda request: problems.append(f"failed to load {request.url}"))
            page.goto(index.as_uri(), wait_until="load")
            images = page.eval_on_selector_all(
                "img", "els => els.map(e => [e.getAttribute('src'), e.complete && e.naturalWidth > 0])")
            text = page.inner_text("body")
        finally:
            browser.close()
    assert problems == []
    sources = [src for src, _ in images]
    assert not [src for src, loaded in images if not loaded], "images that did not load"
    assert any(src.startswith("images/chart-category") for src in sources)  # per-category bars
    assert any(src.startswith("images/hist-reward") for src in sources)  # score histogram
    assert any(src.startswith("images/ref-") for src in sources) and any(src.startswith("images/pred-") for src in sources)
    for expected in ("render success rate", "conditioning gap", "widget2code/LPIPS", "Best", "Worst", "export default"):
        assert expected in text

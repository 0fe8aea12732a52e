"""The content-addressed cache: hits are exact, keys follow settings, concurrent writers are safe."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from widgets import CARD, FAILING

from widget2code.render import ErrorKind, Renderer, RenderResult, RenderSettings
from widget2code.render.cache import RenderCache, cache_key


@pytest.mark.browser
def test_second_render_is_a_cache_hit_with_the_same_png(tmp_path: Path) -> None:
    with Renderer(cache_dir=tmp_path) as cached:
        first = cached.render(CARD)
        second = cached.render(CARD)
        failed = cached.render(FAILING["syntax"][1])
        failed_again = cached.render(FAILING["syntax"][1])
    assert not first.cached and second.cached
    assert second.png == first.png and (second.width, second.height) == (first.width, first.height)
    assert failed_again.cached and failed_again.error_kind == ErrorKind.SYNTAX
    assert failed_again.message == failed.message
    # A new renderer over the same directory reuses the entries.
    with Renderer(cache_dir=tmp_path) as reopened:
        assert reopened.render(CARD).cached


def test_key_depends_on_source_version_and_pixel_settings() -> None:
    base = cache_key(CARD, "v1", RenderSettings().pixel_key())
    assert base == cache_key(CARD, "v1", RenderSettings().pixel_key())
    assert base != cache_key(CARD + " ", "v1", RenderSettings().pixel_key())
    assert base != cache_key(CARD, "v2", RenderSettings().pixel_key())
    assert base != cache_key(CARD, "v1", RenderSettings(background="#000").pixel_key())
    # The time limit does not change pixels, so it does not change the key.
    assert base == cache_key(CARD, "v1", RenderSettings(timeout_s=9).pixel_key())


def test_concurrent_writers_leave_complete_entries(tmp_path: Path) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 64
    result = RenderResult(ok=True, png=png, width=3, height=4)

    def write_and_read(i: int) -> RenderResult | None:
        cache = RenderCache(tmp_path)
        cache.put("ab" + "c" * 62, result)
        return cache.get("ab" + "c" * 62)

    with ThreadPoolExecutor(8) as pool:
        reads = list(pool.map(write_and_read, range(64)))
    assert all(r is not None and r.png == png and r.cached for r in reads)
    assert not list(tmp_path.rglob("*.tmp")), "temp files must be renamed or removed"


def test_crashes_are_not_cached(tmp_path: Path) -> None:
    cache = RenderCache(tmp_path)
    cache.put("k" * 64, RenderResult.failure(ErrorKind.CRASH, "page crashed"))
    assert cache.get("k" * 64) is None


def test_torn_entry_reads_as_a_miss(tmp_path: Path) -> None:
    cache = RenderCache(tmp_path)
    key = "d" * 64
    (tmp_path / key[:2]).mkdir()
    (tmp_path / key[:2] / f"{key}.json").write_text('{"ok": tr')
    assert cache.get(key) is None

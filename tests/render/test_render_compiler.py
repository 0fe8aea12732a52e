"""The compile step alone (no browser): what the format reward and the renderer build on."""

from __future__ import annotations

import psutil
from widgets import CARD, FAILING

from widget2code.render import Compiler, ErrorKind


def _node_children() -> int:
    return sum("worker.mjs" in " ".join(p.cmdline()) for p in psutil.Process().children(recursive=True))


def test_compiles_tsx_to_js_and_only_the_css_it_uses() -> None:
    with Compiler() as compiler:
        result = compiler.compile(CARD)
    assert result.ok, result.message
    assert "__W2C_WIDGET__" in result.js
    assert ".rounded-2xl" in result.css and ".shadow-2xl" in result.css
    assert ".rounded-3xl" not in result.css, "Tailwind must build only the classes the source uses"


def test_css_does_not_depend_on_earlier_widgets() -> None:
    other = CARD.replace("rounded-2xl", "rounded-3xl").replace("p-4", "p-9")
    with Compiler() as compiler:
        alone = compiler.compile(CARD).css
        compiler.compile(other)
        after_other = compiler.compile(CARD).css
    assert alone == after_other


def test_failures_are_typed_and_in_order() -> None:
    names = ["syntax", "import", "no_default_export", "blank_source"]
    with Compiler() as compiler:
        results = compiler.compile_many([FAILING[n][1] for n in names] + [CARD])
    assert [r.error_kind for r in results] == [ErrorKind(FAILING[n][0]) for n in names] + [None]
    assert results[-1].ok


def test_unused_imports_still_break_the_contract() -> None:
    with Compiler() as compiler:
        result = compiler.compile("import fs from 'fs';\nexport default function W() { return <div/>; }")
    assert result.error_kind == ErrorKind.IMPORT and "'fs'" in result.message


def test_timeouts_replace_the_worker_without_leaking_processes() -> None:
    before = _node_children()
    with Compiler(timeout_s=0.0005) as compiler:
        results = compiler.compile_many([CARD.replace("Hello", f"Hello {i}") for i in range(40)])
        assert any(r.error_kind == ErrorKind.TIMEOUT for r in results)
        assert all(r.ok or r.error_kind in (ErrorKind.TIMEOUT, ErrorKind.CRASH) for r in results)
        assert _node_children() - before <= 1, "a timed-out worker must be replaced, not duplicated"
    assert _node_children() == before

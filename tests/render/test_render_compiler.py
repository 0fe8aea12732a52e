"""The compile step alone (no browser): what the format reward and the renderer build on."""

from __future__ import annotations

import subprocess
import sys
import time

import psutil
import pytest
from widgets import CARD, FAILING

from widget2code.render import Compiler, ErrorKind


def _node_children() -> int:
    """Compile workers still running under this process.

    A worker killed for a timeout is a zombie until it is reaped and may be gone before we read its
    command line (psutil raises ZombieProcess or NoSuchProcess): it runs nothing and is not a leak. A
    leaked worker is one that still runs, and it is counted."""
    running = 0
    for child in psutil.Process().children(recursive=True):
        try:
            alive = child.status() != psutil.STATUS_ZOMBIE
            running += alive and "worker.mjs" in " ".join(child.cmdline())
        except psutil.NoSuchProcess:  # ZombieProcess is a NoSuchProcess
            continue
    return running


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


def test_the_worker_count_skips_zombies_and_counts_running_workers() -> None:
    before = _node_children()
    fake = [sys.executable, "-c"]  # processes whose command line names worker.mjs, as a worker's does
    exited = subprocess.Popen([*fake, "", "worker.mjs"])
    running = subprocess.Popen([*fake, "import time; time.sleep(60)", "worker.mjs"])
    try:
        deadline = time.monotonic() + 10
        while psutil.Process(exited.pid).status() != psutil.STATUS_ZOMBIE and time.monotonic() < deadline:
            time.sleep(0.01)
        assert psutil.Process(exited.pid).status() == psutil.STATUS_ZOMBIE  # exited, not reaped yet
        assert _node_children() == before + 1
    finally:
        running.kill()
        running.wait()
        exited.wait()
    assert _node_children() == before


def test_import_profiles() -> None:
    lucide = "import { Heart } from 'lucide-react';\nexport default function W() { return <Heart/>; }"
    chart = "import { LineChart } from 'recharts';\nexport default function W() { return <LineChart/>; }"
    icons = "import { FaGithub } from 'react-icons/fa';\nexport default function W() { return <FaGithub/>; }"
    shadcn = "import { Card } from '@/components/ui/card';\nexport default function W() { return <Card/>; }"
    with Compiler() as default, Compiler(import_profile="strict") as strict, Compiler(import_profile="shadcn") as ui:
        assert [r.ok for r in default.compile_many([lucide, chart, icons])] == [True, True, True]
        assert default.compile(chart).libraries == ("recharts",), "recharts is loaded by the page, not bundled"
        assert default.compile(lucide).libraries == (), "icons are bundled into the widget"
        refused = strict.compile(lucide)
        assert refused.error_kind == ErrorKind.IMPORT and "'lucide-react'" in refused.message
        assert default.compile(shadcn).error_kind == ErrorKind.IMPORT
        assert ui.compile(shadcn).ok and ui.compile(lucide).ok
    with pytest.raises(ValueError, match="import_profile"):
        Compiler(import_profile="everything")


def test_type_only_imports_are_erased_and_missing_names_are_import_errors() -> None:
    typed = ("import { type Props } from './types';\nimport type { Theme } from '@/theme';\n"
             "import { Heart, LucideIcon } from 'lucide-react';\n"
             "export default function W(p: Props & { t: Theme; i: LucideIcon }) { return <Heart/>; }")
    with Compiler() as compiler:
        assert compiler.compile(typed).ok, compiler.compile(typed).message
        missing = compiler.compile("import { NoSuchIcon } from 'lucide-react';\nexport default function W() { return <NoSuchIcon/>; }")
        assert missing.error_kind == ErrorKind.IMPORT and "NoSuchIcon" in missing.message
        misspelt = compiler.compile("import { useStat } from 'react';\nexport default function W() { useStat(); return <div/>; }")
        assert misspelt.error_kind == ErrorKind.IMPORT and "useStat" in misspelt.message


def test_which_export_renders() -> None:
    sources = {
        "named_function": "export const DATA = [1];\nexport function StatCard() { return <div/>; }",
        "named_arrow": "export const Card = ({ title = 'x' }: { title?: string }) => <div>{title}</div>;",
        "export_clause": "function Tile() { return <div/>; }\nexport { Tile };",
        "default_wins": "export function A() { return <div/>; }\nexport default function B() { return <div/>; }",
        "two_named": "export function A() { return <div/>; }\nexport function B() { return <div/>; }",
        "alias_only": "function Widget() { return <div/>; }\nexport const W = Widget;",
    }
    with Compiler() as compiler:
        results = dict(zip(sources, compiler.compile_many(list(sources.values())), strict=True))
    assert {name: r.component for name, r in results.items() if r.ok} == {
        "named_function": "StatCard", "named_arrow": "Card", "export_clause": "Tile", "default_wins": "default"}
    assert results["two_named"].error_kind == ErrorKind.NO_COMPONENT and "A, B" in results["two_named"].message
    assert results["alias_only"].error_kind == ErrorKind.NO_COMPONENT


def test_markdown_fence_is_a_syntax_error() -> None:
    with Compiler() as compiler:
        fenced = compiler.compile("```tsx\n" + CARD + "\n```")
    assert fenced.error_kind == ErrorKind.SYNTAX and "fence" in fenced.message

"""`python -m widget2code.render`: one JSON line, exit codes, and batch mode."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from widgets import CARD, FAILING

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _cli(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "widget2code.render", *map(str, args)],
                          capture_output=True, text=True, timeout=120)


def test_single_widget(tmp_path: Path) -> None:
    widget = tmp_path / "card.tsx"
    widget.write_text(CARD)
    done = _cli(widget, "-o", tmp_path / "card.png")
    assert done.returncode == 0, done.stderr
    line = json.loads(done.stdout.strip().splitlines()[-1])
    assert line["ok"] is True and line["error_kind"] is None and line["width"] == 352 and line["ms"] > 0
    assert (tmp_path / "card.png").read_bytes().startswith(b"\x89PNG")

    broken = tmp_path / "broken.tsx"
    broken.write_text(FAILING["import"][1])
    failed = _cli(broken, "-o", tmp_path / "broken.png")
    assert failed.returncode == 1
    assert json.loads(failed.stdout.strip().splitlines()[-1])["error_kind"] == "import"
    assert not (tmp_path / "broken.png").exists()


def test_bad_usage_exits_2(tmp_path: Path) -> None:
    assert _cli().returncode == 2
    assert _cli(tmp_path / "missing.tsx", "-o", tmp_path / "x.png").returncode == 2
    assert _cli("--batch", tmp_path).returncode == 2  # no --out
    done = _cli(tmp_path / "missing.tsx", "-o", tmp_path / "x.png")
    assert "missing.tsx" in done.stderr


def test_batch(tmp_path: Path) -> None:
    widgets = tmp_path / "widgets"
    widgets.mkdir()
    (widgets / "a.tsx").write_text(CARD)
    (widgets / "b.tsx").write_text(FAILING["syntax"][1])
    (widgets / "c.tsx").write_text(CARD.replace("Hello", "Other"))
    # Plain JSX takes part too, whether the file says .jsx or .js; other files do not.
    (widgets / "d.jsx").write_text("export function Tile({ label = 'jsx' }) { return <div className='p-4'>{label}</div>; }")
    (widgets / "e.js").write_text("export default function E() { return <div className='p-4'>js</div>; }")
    (widgets / "notes.txt").write_text("not a widget")
    done = _cli("--batch", widgets, "--out", tmp_path / "out")
    assert done.returncode == 1  # one failed
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["rendered"] == 4 and summary["failed"] == 1 and summary["errors"] == {"syntax": 1}
    rows = [json.loads(line) for line in (tmp_path / "out" / "results.jsonl").read_text().splitlines()]
    assert [r["file"] for r in rows] == ["a.tsx", "b.tsx", "c.tsx", "d.jsx", "e.js"]
    assert all("queue_ms" in r for r in rows)
    assert sorted(p.name for p in (tmp_path / "out").glob("*.png")) == ["a.png", "c.png", "d.png", "e.png"]


def test_import_profile_on_the_command_line(tmp_path: Path) -> None:
    widget = tmp_path / "icon.tsx"
    widget.write_text("import { Heart } from 'lucide-react';\nexport default function W() { return <Heart/>; }")
    strict = _cli(widget, "-o", tmp_path / "icon.png", "--imports", "strict")
    assert strict.returncode == 1
    line = json.loads(strict.stdout.strip().splitlines()[-1])
    assert line["error_kind"] == "import" and "'strict'" in line["message"]
    assert _cli(widget, "-o", tmp_path / "icon.png", "--imports", "everything").returncode == 2


def test_the_official_renderer_s_page_on_the_command_line(tmp_path: Path) -> None:
    widget = tmp_path / "official.jsx"
    widget.write_text("export default function Widget() { const [w] = React.useState(300); "
                      "return <div style={{ width: w, height: 100, background: '#fff' }} />; }")
    done = _cli(widget, "-o", tmp_path / "official.png", "--imports", "widget2code", "--viewport", "1920x1080",
                "--background", "#000000", "--margin", "0")
    assert done.returncode == 0, done.stdout + done.stderr
    line = json.loads(done.stdout.strip().splitlines()[-1])
    assert (line["width"], line["height"]) == (300, 100)
    assert _cli(widget, "-o", tmp_path / "x.png", "--viewport", "wide").returncode == 2

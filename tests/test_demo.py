"""`make demo` end to end on a handful of samples: data, renderer, rewards, report."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
@pytest.mark.browser
def test_demo_writes_a_report(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "scripts/demo.py", "pipeline.num_samples=6", "showcase=2", f"hydra.run.dir={tmp_path}"],
        cwd=REPO, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    report = tmp_path / "report" / "index.html"
    html = report.read_text()
    images = re.findall(r'<img src="([^"]+)"', html)
    assert len(images) >= 5 + 2 * 5, "examples plus each showcased sample and its variants"
    assert all((report.parent / src).is_file() for src in images)
    assert "timeout" in html and "syntax" in html, "the broken widgets table shows typed failures"
    assert len((tmp_path / "data" / "manifest.jsonl").read_text().splitlines()) == 6

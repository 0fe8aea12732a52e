from __future__ import annotations

import pytest
from PIL import Image

from widget2code.data.manifest import SampleRecord, read_manifest, write_manifest
from widget2code.data.stages.render_verify import render_verify
from widget2code.data.synthetic import generate_widget
from widget2code.files import atomic_write_bytes, atomic_write_text

pytestmark = [pytest.mark.browser, pytest.mark.slow]


class CountingRenderer:
    """The real renderer, counting what it is asked to render (to check that reruns render nothing)."""

    def __init__(self, renderer):
        self.renderer, self.rendered = renderer, 0

    def render_many(self, sources, progress=False):
        self.rendered += len(sources)
        return self.renderer.render_many(sources)


def test_render_verify_keeps_matches_drops_mismatches_and_records_error_kinds(tmp_path, renderer):
    a, b = generate_widget(5, "clock"), generate_widget(6, "news")
    ref_a, ref_b = renderer.render_many([a.tsx, b.tsx])
    src = tmp_path / "in"
    files = {"a.tsx": a.tsx, "b.tsx": b.tsx,
             "syntax.tsx": "export default function W() { return <div className='p-4'>unclosed; }",
             "throws.tsx": "export default function W() { throw new Error('boom'); }"}
    for name, text in files.items():
        atomic_write_text(src / "tsx" / name, text)
    atomic_write_bytes(src / "screens" / "a.png", ref_a.png)
    atomic_write_bytes(src / "screens" / "b.png", ref_b.png)

    def rec(id_, tsx, image, **provenance):
        return SampleRecord(id=id_, source="test", category="x", tsx=f"tsx/{tsx}", image=image, provenance=provenance)

    write_manifest(src, [
        rec("match", "a.tsx", "screens/a.png"),
        rec("mismatch", "a.tsx", "screens/b.png"),  # code of one widget, screenshot of another
        rec("synthetic", "b.tsx", "images/synthetic.png", image_from="render"),
        rec("syntax", "syntax.tsx", "screens/a.png"),
        rec("throws", "throws.tsx", "screens/a.png"),
        rec("no-ref", "a.tsx", "screens/missing.png"),
        rec("no-tsx", "missing.tsx", "screens/a.png"),
    ])
    counting = CountingRenderer(renderer)
    report = render_verify(src, tmp_path / "out", counting, threshold=0.85, chunk_size=3)

    kept = {r.id: r for r in read_manifest(tmp_path / "out")}
    dropped = {r.id: r for r in read_manifest(tmp_path / "out" / "rejected")}
    assert list(kept) == ["match", "synthetic"]
    assert kept["match"].metrics["verify_ssim"] > 0.99
    assert dropped["mismatch"].metrics["drop_reason"] == "low_ssim"
    assert dropped["mismatch"].metrics["verify_ssim"] < 0.85
    assert {i: dropped[i].metrics["drop_reason"] for i in ("syntax", "throws", "no-ref", "no-tsx")} == {
        "syntax": "syntax", "throws": "runtime", "no-ref": "missing_reference", "no-tsx": "missing_tsx"}
    assert "boom" in dropped["throws"].metrics["drop_message"]
    # A synthetic record's render becomes its image, next to where the record said it would be.
    with Image.open(src / "images" / "synthetic.png") as image:
        assert image.size == (kept["synthetic"].width, kept["synthetic"].height) == (ref_b.width, ref_b.height)
    assert report.kept == 2 and sum(report.dropped.values()) == 5 and counting.rendered == 6

    # A rerun renders nothing; a changed threshold redoes the stage under the new setting.
    again = render_verify(src, tmp_path / "out", counting, threshold=0.85, chunk_size=3)
    assert again.resumed == 7 and counting.rendered == 6 and again.kept == 2
    looser = render_verify(src, tmp_path / "out", counting, threshold=0.0, chunk_size=3)
    assert looser.resumed == 0 and looser.kept == 3 and counting.rendered == 12


def test_render_verify_resumes_after_an_interruption(tmp_path, renderer):
    src = tmp_path / "in"
    recs = []
    for i in range(4):
        atomic_write_text(src / "tsx" / f"{i}.tsx", generate_widget(i, "battery").tsx)
        recs.append(SampleRecord(id=f"s{i}", source="synthetic", category="battery", tsx=f"tsx/{i}.tsx",
                                 image=f"images/{i}.png", provenance={"image_from": "render"}))
    write_manifest(src, recs)

    class Interrupted(CountingRenderer):
        def render_many(self, sources, progress=False):
            if self.rendered >= 2:
                raise KeyboardInterrupt
            return super().render_many(sources)

    with pytest.raises(KeyboardInterrupt):
        render_verify(src, tmp_path / "out", Interrupted(renderer), chunk_size=2)
    assert [r.id for r in read_manifest(tmp_path / "out")] == ["s0", "s1"]  # the first chunk survived
    counting = CountingRenderer(renderer)
    report = render_verify(src, tmp_path / "out", counting, chunk_size=2)
    assert report.resumed == 2 and counting.rendered == 2 and report.kept == 4

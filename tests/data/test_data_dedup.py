from __future__ import annotations

import json
from itertools import combinations

import numpy as np
import pytest
from PIL import Image

from widget2code.data.manifest import SampleRecord, read_manifest, write_manifest
from widget2code.data.stages.dedup import CLUSTERS_FILE, dedup, near_pairs
from widget2code.data.synthetic import generate_widget
from widget2code.files import atomic_write_bytes


def test_band_bucketing_finds_exactly_the_brute_force_pairs():
    rng = np.random.default_rng(0)
    base = rng.random((120, 64)) < 0.5
    noisy = base[:60].copy()  # plant neighbours at distances 0..7 of the first 60 hashes
    for row, flips in zip(noisy, rng.integers(0, 8, size=60), strict=True):
        row[rng.choice(64, size=flips, replace=False)] ^= True
    bits = np.vstack([base, noisy])
    for max_distance in (0, 3, 6):
        expected = {(i, j) for i, j in combinations(range(len(bits)), 2)
                    if (bits[i] != bits[j]).sum() <= max_distance}
        assert expected  # the planted pairs are there to be found
        assert {tuple(p) for p in near_pairs(bits, max_distance).tolist()} == expected
    with pytest.raises(ValueError, match="max_distance"):
        near_pairs(bits, 64)


def shifted(png_path, dx: int, dy: int) -> Image.Image:
    with Image.open(png_path) as image:
        image = image.convert("RGB")
        out = Image.new("RGB", image.size, "white")
        out.paste(image, (dx, dy))
        return out


@pytest.mark.browser
@pytest.mark.slow
def test_dedup_clusters_planted_near_duplicates_and_keeps_distinct_widgets(tmp_path, renderer):
    # Four distinct widgets, then: widget 0 shifted by 1 px, widget 1 with one colour nudged by 1/255 and
    # re-rendered, and widget 2 again under another id.
    widgets = [generate_widget(seed, category) for seed, category in
               ((1, "weather"), (2, "weather"), (3, "calendar"), (4, "music_player"))]
    first_hex = widgets[1].tsx.split("#", 1)[1][:6]
    nudged = f"{first_hex[:5]}{'0' if first_hex[5] != '0' else '1'}"
    sources = [w.tsx for w in widgets] + [widgets[1].tsx.replace("#" + first_hex, "#" + nudged)]
    assert sources[4] != sources[1]
    results = renderer.render_many(sources)
    assert all(r.ok for r in results)
    recs = []
    for i, result in enumerate(results):
        atomic_write_bytes(tmp_path / "in" / f"{i}.png", result.png)
    shifted(tmp_path / "in" / "0.png", 1, 0).save(tmp_path / "in" / "shift.png")
    atomic_write_bytes(tmp_path / "in" / "copy.png", results[2].png)
    for name, image in (("a0", "0"), ("a1", "1"), ("a2", "2"), ("a3", "3"), ("b1-recoloured", "4"),
                        ("b0-shifted", "shift"), ("b2-copy", "copy")):
        recs.append(SampleRecord(id=name, source="synthetic", category="x", tsx=f"{name}.tsx",
                                 image=f"{image}.png", metrics={"verify_ssim": 0.99 if name == "b0-shifted" else 0.9}))
    write_manifest(tmp_path / "in", recs)

    report = dedup(tmp_path / "in", tmp_path / "out", max_distance=10, hash_size=16)

    kept = {r.id: r for r in read_manifest(tmp_path / "out")}
    # The higher verify SSIM wins a cluster; on a tie, the smaller id.
    assert set(kept) == {"b0-shifted", "a1", "a2", "a3"}
    assert report.dropped == {"near_duplicate": 3} and report.extra["clusters"] == 3
    clusters = json.loads((tmp_path / "out" / CLUSTERS_FILE).read_text())["clusters"]
    assert sorted(sorted(c["members"]) for c in clusters) == [["a0", "b0-shifted"], ["a1", "b1-recoloured"],
                                                            ["a2", "b2-copy"]]
    assert kept["a3"].metrics["cluster"] == "a3" and kept["b0-shifted"].metrics["cluster"] == "b0-shifted"
    dropped = {r.id: r for r in read_manifest(tmp_path / "out" / "rejected")}
    assert dropped["a0"].metrics["duplicate_of"] == "b0-shifted"
    assert dropped["a0"].image == "../../in/0.png"  # paths stay valid from the new manifest's folder
    assert (tmp_path / "out" / "rejected" / dropped["a0"].image).is_file()

"""A dataset directory loads as a Hugging Face `datasets.Dataset` with decodable screenshots."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from widget2code.data.hf_dataset import load_hf_dataset
from widget2code.data.manifest import ManifestError, SampleRecord, write_manifest


def _dataset(root: Path) -> list[SampleRecord]:
    records = []
    for i, split in enumerate(["train", "train", "val"]):
        Image.new("RGB", (40 + i, 30), (10 * i, 100, 200)).save(root / f"s{i}.png")
        (root / f"s{i}.tsx").write_text(f"export default () => <div className='p-{i}'/>;", encoding="utf-8")
        records.append(SampleRecord(id=f"synthetic-{i}", source="synthetic", category="stats", tsx=f"s{i}.tsx",
                                    image=f"s{i}.png", width=40 + i, height=30, split=split, cot=f"trace {i}",
                                    metrics={"verify_ssim": 0.9 + i / 100}))
    write_manifest(root, records)
    return records


def test_rows_carry_fields_code_and_images(tmp_path: Path) -> None:
    records = _dataset(tmp_path)
    dataset = load_hf_dataset(tmp_path)
    assert dataset.num_rows == 3
    row = dataset[2]
    assert row["id"] == records[2].id and row["split"] == "val" and row["cot"] == "trace 2"
    assert row["tsx"] == (tmp_path / "s2.tsx").read_text()
    assert row["image"].size == (42, 30) and row["image"].getpixel((0, 0)) == (20, 100, 200)
    assert json.loads(row["metrics"]) == {"verify_ssim": 0.92}


def test_split_filter_and_errors(tmp_path: Path) -> None:
    _dataset(tmp_path)
    assert load_hf_dataset(tmp_path, split="train")["id"] == ["synthetic-0", "synthetic-1"]
    with pytest.raises(ManifestError, match="split 'test'"):
        load_hf_dataset(tmp_path, split="test")
    (tmp_path / "s1.png").unlink()
    with pytest.raises(ManifestError, match=r"s1\.png"):
        load_hf_dataset(tmp_path)

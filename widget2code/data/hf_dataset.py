"""A dataset directory as a Hugging Face `datasets.Dataset` (for `datasets`' map/filter/push_to_hub).

One row per manifest record: the record's fields, the TSX text, and the screenshot as an `Image`
feature that decodes lazily. `provenance` and `metrics` differ in shape between sources, so they are
kept as JSON strings rather than forced into one Arrow schema.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import datasets

from widget2code.data.manifest import ManifestError, read_manifest


def load_hf_dataset(dataset_dir: str | os.PathLike[str], split: str | None = None) -> datasets.Dataset:
    """The records of `dataset_dir/manifest.jsonl` (those of `split`, when given) as a `datasets.Dataset`."""
    root = Path(dataset_dir)
    records = [r for r in read_manifest(root) if split is None or r.split == split]
    if not records:
        raise ManifestError(f"{root / 'manifest.jsonl'} has no records" + (f" in split '{split}'" if split else ""))
    rows: dict[str, list[object]] = {name: [] for name in (
        "id", "source", "category", "split", "difficulty", "width", "height", "cot", "tsx", "image",
        "provenance", "metrics")}
    for record in records:
        tsx_path, image_path = root / record.tsx, root / record.image
        for path in (tsx_path, image_path):
            if not path.is_file():
                raise ManifestError(f"record {record.id}: {path} does not exist")
        for name in ("id", "source", "category", "split", "difficulty", "width", "height", "cot"):
            rows[name].append(getattr(record, name))
        rows["tsx"].append(tsx_path.read_text(encoding="utf-8"))
        rows["image"].append(str(image_path.resolve()))
        rows["provenance"].append(json.dumps(record.provenance, sort_keys=True))
        rows["metrics"].append(json.dumps(record.metrics, sort_keys=True))
    return datasets.Dataset.from_dict(rows).cast_column("image", datasets.Image())

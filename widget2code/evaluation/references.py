"""The references an evaluation scores against: the Widget2Code benchmark layout, or a manifest split.

- A benchmark folder is flat: `gt_0001.png`, `gt_0002.png`, ...; a reference's id is the first run of
  four digits in its file name, as the official `widget2code-bench` evaluator reads it.
- A dataset manifest's split (`test` by default) becomes references `0001`, `0002`, ... in manifest
  order, keeping the record id, the reference TSX (for the oracle) and category/difficulty (for
  breakdowns). The run writes them out in the benchmark layout too, so the official CLI can read them.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from widget2code.data.manifest import ManifestError, read_manifest
from widget2code.evaluation.errors import ReferencesError
from widget2code.rewards.images import to_rgb

ID_PATTERN = re.compile(r"\d{4}")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")
MAX_REFERENCES = 9999  # ids are four digits in the official layout


@dataclass
class Reference:
    id: str  # four digits: the official layout's key (gt_XXXX.png, image_XXXX/)
    path: Path  # the reference screenshot
    tsx: str | None = None  # the reference code, when the source has it (manifests)
    category: str | None = None
    difficulty: str | None = None
    source_id: str | None = None  # the manifest record id

    @cached_property
    def image(self) -> Image.Image:
        """The screenshot as RGB, transparency flattened onto white (as the renderer's page shows it)."""
        try:
            with Image.open(self.path) as opened:
                opened.load()
                return to_rgb(opened)
        except (OSError, UnidentifiedImageError, SyntaxError, ValueError) as err:
            raise ReferencesError(f"cannot read reference screenshot {self.path}: {err}") from err


def four_digit_id(name: str) -> str | None:
    """The first run of four digits in `name` (the official evaluator's rule), or None."""
    match = ID_PATTERN.search(name)
    return match.group(0) if match else None


def from_benchmark_dir(directory: str | os.PathLike[str]) -> list[Reference]:
    """References from a flat folder of `gt_XXXX.png` screenshots, sorted by id."""
    root = Path(directory)
    if not root.is_dir():
        raise ReferencesError(f"reference folder {root} does not exist or is not a directory")
    try:
        names = sorted(p.name for p in root.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    except OSError as err:
        raise ReferencesError(f"cannot read reference folder {root}: {err}") from err
    by_id: dict[str, str] = {}
    for name in names:
        ref_id = four_digit_id(name)
        if ref_id is None:
            continue
        if ref_id in by_id:
            raise ReferencesError(f"duplicate id {ref_id} in reference folder {root}: {by_id[ref_id]} and {name}")
        by_id[ref_id] = name
    if not by_id:
        raise ReferencesError(f"reference folder {root} has no screenshots named with a 4-digit id "
                              f"(expected gt_0001.png, gt_0002.png, ...)")
    references = [Reference(id=ref_id, path=root / name) for ref_id, name in sorted(by_id.items())]
    for reference in references:
        _check_readable(reference.path)
    return references


def from_manifest(dataset_dir: str | os.PathLike[str], split: str | None = "test") -> list[Reference]:
    """References from one split of a dataset manifest (`split=None`: every record), ids 0001... in order."""
    root = Path(dataset_dir)
    try:
        records = read_manifest(root)
    except ManifestError as err:
        raise ReferencesError(str(err)) from err
    chosen = [r for r in records if split is None or r.split == split]
    if not chosen:
        present = dict(Counter(str(r.split) for r in records))
        raise ReferencesError(f"no records with split {split!r} in {root}; splits present: {present or 'none'}")
    if len(chosen) > MAX_REFERENCES:
        raise ReferencesError(f"{len(chosen)} records in split {split!r} of {root}: the official layout's "
                              f"4-digit ids allow at most {MAX_REFERENCES}")
    duplicates = [i for i, n in Counter(r.id for r in chosen).items() if n > 1]
    if duplicates:
        raise ReferencesError(f"duplicate record ids in {root}: {duplicates[:5]}")
    references = []
    for index, record in enumerate(chosen, start=1):
        tsx_path = root / record.tsx
        try:
            tsx = tsx_path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise ReferencesError(f"cannot read the TSX of record {record.id}: {tsx_path}: {err}") from err
        references.append(Reference(id=f"{index:04d}", path=root / record.image, tsx=tsx, category=record.category,
                                    difficulty=record.difficulty, source_id=record.id))
        _check_readable(root / record.image)
    return references


def _check_readable(path: Path) -> None:
    """Open the header now, so a missing or broken screenshot fails before any prediction is made."""
    try:
        with Image.open(path) as image:
            image.verify()
    except (OSError, UnidentifiedImageError, SyntaxError, ValueError) as err:
        raise ReferencesError(f"cannot read reference screenshot {path}: {err}") from err


def load_references(dir: str | os.PathLike[str] | None = None,  # named as on the CLI: references.dir=GT
                    manifest: str | os.PathLike[str] | None = None, split: str | None = "test") -> list[Reference]:
    """References from exactly one source: a benchmark folder (`dir`) or a dataset manifest's split."""
    if bool(dir) == bool(manifest):
        raise ReferencesError("give exactly one reference source: references.dir=GT_FOLDER (gt_0001.png, ...) "
                              "or references.manifest=DATASET_DIR [references.split=test]")
    return from_benchmark_dir(dir) if dir else from_manifest(manifest, split)

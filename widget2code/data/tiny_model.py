"""Tiny models trained for a dataset: the tokenizer learns the dataset's text, then the model is built.

The Hydra entry point of `conf/model/tiny_*.yaml`. It lives with the data because it reads a dataset;
the model side (`widget2code.models.factory.build_tiny_model`) knows nothing about manifests.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from widget2code.data.manifest import read_manifest
from widget2code.models.factory import (
    LoadedModel,
    ModelLoadError,
    Preset,
    build_tiny_model,
    check_adapter_path,
)
from widget2code.models.tokenizer import Family, cached_tokenizer
from widget2code.task import SYSTEM_PROMPT, USER_PROMPT, format_completion


def dataset_corpus(dataset_dir: str | os.PathLike[str]) -> Iterator[str]:
    """The texts a tiny tokenizer is trained on: the prompts and every training target of a dataset.

    Uses the `train` split when the manifest has one (so validation and test text stay unseen), else
    every record.
    """
    records = read_manifest(dataset_dir)
    train = [r for r in records if r.split == "train"] or records
    yield SYSTEM_PROMPT
    yield USER_PROMPT
    for record in train:
        path = Path(dataset_dir) / record.tsx
        try:
            tsx = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise ModelLoadError(
                f"tokenizer corpus: cannot read TSX of {record.id} at {path}: {err}"
            ) from err
        yield format_completion(record.cot or "", tsx)


def build_tiny_from_dataset(
    family: Family,
    dataset_dir: str | os.PathLike[str],
    preset: Preset = "tiny",
    vocab_size: int = 1024,
    image_size: int = 112,
    seed: int = 0,
    tokenizer_dir: str | os.PathLike[str] | None = None,
    adapter_path: str | os.PathLike[str] | None = None,
) -> LoadedModel:
    """Hydra entry point for tiny models: tokenizer trained on the dataset's text, then the model.

    The tokenizer is cached under `tokenizer_dir` (default `<dataset_dir>/.tokenizers`), keyed by
    family, vocabulary size and corpus content, so reruns on the same data reuse it and a rebuilt
    dataset gets a fresh one. `adapter_path` is checked and passed on (see `LoadedModel`).
    """
    adapter = check_adapter_path(adapter_path)
    cache = Path(tokenizer_dir) if tokenizer_dir is not None else Path(dataset_dir) / ".tokenizers"
    tokenizer = cached_tokenizer(dataset_corpus(dataset_dir), family, vocab_size, cache)
    loaded = build_tiny_model(family, tokenizer, preset=preset, image_size=image_size, seed=seed)
    return loaded._replace(adapter_path=adapter)

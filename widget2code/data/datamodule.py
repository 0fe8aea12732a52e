"""The LightningDataModule over a dataset directory: SFT batches, or GRPO prompt batches.

- mode "sft": each batch is exactly the model's keyword arguments plus `labels` (prompt + target
  `<think>cot</think><code>tsx</code>` + end token; labels -100 except on the target), right-padded,
  so a training step is `model(**batch).loss`. With `target="think"` the target is only
  `<think>cot</think>` + end token: a caption-alignment stage, in which the model first learns to state
  what it sees (the trace names the widget's visible traits) before it learns to write code.
- mode "grpo": each batch is `{"inputs": left-padded prompt inputs, "images": the reference
  screenshots as PIL images at full size, "ids": record ids, "tsx": reference sources}`; completions
  generated from `inputs` start at column `inputs["input_ids"].shape[1]`.

Image policy: before the processor sees a screenshot it is scaled, keeping its aspect ratio, to fit
an `image_size` × `image_size` square and padded to that square with a background colour (the
screenshot's top-left pixel by default, which is the page background for rendered widgets). Every
sample then costs the same number of image tokens. `image_size=None` hands the screenshot to the
processor unchanged, whose own pixel budget then applies (the usual choice for real models). GRPO
rewards compare against the original, unscaled screenshot.

Files are checked for existence at setup (all missing paths are reported at once) and decoded when
loaded (an unreadable file raises `SampleFileError` naming it).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Literal

from lightning import LightningDataModule
from PIL import Image, ImageColor, ImageOps, UnidentifiedImageError
from torch.utils.data import Dataset
from torchdata.stateful_dataloader import StatefulDataLoader
from torchdata.stateful_dataloader.sampler import StatefulDistributedSampler
from transformers import ProcessorMixin

from widget2code.data.manifest import SampleRecord, read_manifest
from widget2code.models.chat import collate, encode_prompt, encode_sft, prompt_text
from widget2code.task import format_completion

Mode = Literal["sft", "grpo"]
Target = Literal["completion", "think"]
STAGES = ("train", "val", "test")


class DatasetError(ValueError):
    """The dataset directory cannot serve the requested batches."""


class SampleFileError(DatasetError):
    """A sample's image or TSX file is missing or unreadable."""


class EmptySplitError(DatasetError):
    """A split the current stage needs has no records."""


def load_image(path: Path) -> Image.Image:
    """An RGB image, fully decoded now so that a corrupt file fails here, naming itself."""
    try:
        with Image.open(path) as opened:
            opened.load()
            image = opened.copy()
    except (OSError, UnidentifiedImageError, SyntaxError, ValueError) as err:
        raise SampleFileError(f"cannot read image {path}: {err}") from err
    if "A" in image.getbands():  # flatten transparency onto white, as a browser page would show it
        image = Image.alpha_composite(Image.new("RGBA", image.size, "white"), image.convert("RGBA"))
    return image.convert("RGB")


def load_tsx(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise SampleFileError(f"cannot read TSX {path}: {err}") from err


def fit_image(image: Image.Image, size: int, pad_color: str | None = None) -> Image.Image:
    """Scale to fit a `size` square keeping the aspect ratio, centred and padded with `pad_color`.

    `pad_color=None` uses the image's top-left pixel, normally the page background of a screenshot.
    """
    color = image.getpixel((0, 0)) if pad_color is None else ImageColor.getrgb(pad_color)
    return ImageOps.pad(image, (size, size), method=Image.Resampling.BICUBIC, color=color)


@dataclass(frozen=True)
class _Encoder:
    """Turns one record into model features. A top-level class, so DataLoader workers can pickle it."""

    processor: ProcessorMixin
    prompt: str  # the rendered chat prompt, the same for every sample
    mode: Mode
    target: Target
    max_length: int | None
    image_size: int | None
    pad_color: str | None

    def __call__(self, record: SampleRecord, image: Image.Image, tsx: str) -> dict[str, Any]:
        model_image = image if self.image_size is None else fit_image(image, self.image_size, self.pad_color)
        if self.mode == "sft":
            target = format_completion(record.cot or "", tsx)
            if self.target == "think":  # cut after the think block; the format stays defined in one place
                target = target[: target.index("</think>") + len("</think>")]
            return encode_sft(self.processor, model_image, target, self.max_length, self.prompt)
        return {
            "inputs": encode_prompt(self.processor, model_image, self.prompt),
            "image": image,
            "id": record.id,
            "tsx": tsx,
        }


class WidgetDataset(Dataset):
    """Records of one split; item i is the encoded sample (decoding and processing happen in workers)."""

    def __init__(
        self, dataset_dir: Path, records: Sequence[SampleRecord], encode: Callable[..., dict[str, Any]]
    ):
        self.dataset_dir = dataset_dir
        self.records = list(records)
        self.encode = encode

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, index: int) -> dict[str, Any]:
        record = self.records[index]
        image = load_image(self.dataset_dir / record.image)
        tsx = load_tsx(self.dataset_dir / record.tsx)
        return self.encode(record, image, tsx)


class EpochShuffle(StatefulDistributedSampler):
    """A new order each epoch that is a function of (seed, epoch) alone, with the epoch in the loader's state.

    Why not `shuffle=True` with a seeded generator: torch's RandomSampler draws every epoch from one
    generator that evolves across epochs, and torchdata restores it for the interrupted epoch only, so
    the epochs after a resume were shuffled differently from an uninterrupted run's. Here epoch e's
    order is DistributedSampler's (a permutation seeded by seed + e, sharded over DDP ranks), and the
    epoch is saved because on resume Lightning builds the iterator before it calls `set_epoch`. A pass
    that nobody numbered (plain iteration, no Lightning) is the next epoch, so it reshuffles too.
    """

    def __init__(self, dataset: Dataset, num_replicas: int = 1, rank: int = 0, seed: int = 0) -> None:
        super().__init__(dataset, num_replicas=num_replicas, rank=rank, shuffle=True, seed=seed)
        self._passes = 0
        self._numbered = False

    def set_epoch(self, epoch: int) -> None:
        super().set_epoch(epoch)
        self._numbered = True

    def __iter__(self) -> Iterator[int]:
        if self._passes and not self._numbered and self.next_yielded is None:
            self.epoch += 1
        self._passes, self._numbered = self._passes + 1, False
        yield from super().__iter__()

    def state_dict(self) -> dict[str, Any]:
        return super().state_dict() | {"epoch": self.epoch}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        super().load_state_dict(state_dict)
        self.epoch = state_dict.get("epoch", 0)
        self._numbered = True


def _collate_grpo(items: list[dict[str, Any]], pad_token_id: int) -> dict[str, Any]:
    return {
        "inputs": collate([item["inputs"] for item in items], pad_token_id, padding_side="left"),
        "images": [item["image"] for item in items],
        "ids": [item["id"] for item in items],
        "tsx": [item["tsx"] for item in items],
    }


class WidgetDataModule(LightningDataModule):
    """Screenshot/TSX pairs from a dataset directory (see the module docstring for batch layouts).

    Args:
        dataset_dir: directory holding `manifest.jsonl` and the files it names.
        processor: the model's processor, or a zero-argument callable returning it (called at setup),
            so a config can name the data before the model exists.
        mode: "sft" or "grpo".
        target: SFT target, "completion" (`<think>cot</think><code>tsx</code>`) or "think" (only
            `<think>cot</think>`, for a caption-alignment stage); GRPO batches do not use it.
        splits: stage ("train", "val", "test") -> manifest split name(s); None disables a stage.
        max_length: SFT sequences longer than this have their target cut at the end.
        image_size: side of the square screenshots are fitted into; None leaves them as they are.
        pad_color: background for the fitted square (CSS colour); None = the image's top-left pixel.
        seed: seeds the training shuffle; the same seed gives the same order, epoch by epoch.
    """

    def __init__(
        self,
        dataset_dir: str | os.PathLike[str],
        processor: ProcessorMixin | Callable[[], ProcessorMixin],
        mode: Mode = "sft",
        target: Target = "completion",
        batch_size: int = 8,
        num_workers: int = 0,
        seed: int = 0,
        max_length: int | None = 2048,
        image_size: int | None = 112,
        pad_color: str | None = None,
        splits: Mapping[str, str | Sequence[str] | None] | None = None,
    ) -> None:
        super().__init__()
        if mode not in ("sft", "grpo"):
            raise DatasetError(f"unknown mode {mode!r}; expected 'sft' or 'grpo'")
        if target not in ("completion", "think"):
            raise DatasetError(f"unknown target {target!r}; expected 'completion' or 'think'")
        if batch_size < 1:
            raise DatasetError(f"batch_size must be at least 1, got {batch_size}")
        unknown = set(splits or {}) - set(STAGES)
        if unknown:
            raise DatasetError(
                f"unknown stage(s) in splits: {', '.join(sorted(unknown))}; use {', '.join(STAGES)}"
            )
        self.dataset_dir = Path(dataset_dir)
        self.mode: Mode = mode
        self.target: Target = target
        self.batch_size = batch_size
        self.num_workers = num_workers
        self.seed = seed
        self.max_length = max_length
        self.image_size = image_size
        self.pad_color = pad_color
        self.splits = {stage: stage for stage in STAGES} | dict(splits or {})
        self._processor = processor
        self.datasets: dict[str, WidgetDataset] = {}

    @property
    def processor(self) -> ProcessorMixin:
        if not isinstance(self._processor, ProcessorMixin):
            self._processor = self._processor()
        return self._processor

    def setup(self, stage: str | None = None) -> None:
        needed = {"fit": ("train", "val"), "validate": ("val",), "test": ("test",)}.get(stage or "", STAGES)
        records = read_manifest(self.dataset_dir)
        processor = self.processor
        encode = _Encoder(
            processor, prompt_text(processor), self.mode, self.target, self.max_length, self.image_size,
            self.pad_color,
        )
        for name in needed:
            wanted = self.splits.get(name)
            if wanted is None or name in self.datasets:
                continue
            names = {wanted} if isinstance(wanted, str) else set(wanted)
            chosen = [record for record in records if record.split in names]
            if not chosen:
                counts = {
                    split: sum(r.split == split for r in records) for split in {r.split for r in records}
                }
                raise EmptySplitError(
                    f"split {'/'.join(sorted(names))} (stage {name}) of {self.dataset_dir} has no records; "
                    f"the manifest has {counts or 'no records'}"
                )
            self._check_files(chosen)
            self.datasets[name] = WidgetDataset(self.dataset_dir, chosen, encode)

    def _check_files(self, records: Sequence[SampleRecord]) -> None:
        missing = [
            str(self.dataset_dir / path)
            for record in records
            for path in (record.image, record.tsx)
            if not (self.dataset_dir / path).is_file()
        ]
        if missing:
            shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
            raise SampleFileError(f"{len(missing)} sample file(s) missing in {self.dataset_dir}: {shown}")

    def _loader(self, name: str, shuffle: bool) -> StatefulDataLoader:
        if name not in self.datasets:
            raise DatasetError(
                f"no {name} data: call setup() first, or the {name} stage is disabled in splits"
            )
        pad_token_id = self.processor.tokenizer.pad_token_id
        if self.mode == "sft":
            collate_fn = partial(collate, pad_token_id=pad_token_id, padding_side="right")
        else:
            collate_fn = partial(_collate_grpo, pad_token_id=pad_token_id)
        # Stateful: a checkpoint saved mid-epoch resumes at the same batch with the same shuffle, and
        # later epochs keep the uninterrupted run's order (EpochShuffle). Under DDP it is the sampler
        # Lightning would have inserted (a DistributedSampler over the ranks), so Lightning keeps it.
        trainer = self.trainer
        sampler = EpochShuffle(
            self.datasets[name], num_replicas=trainer.world_size if trainer else 1,
            rank=trainer.global_rank if trainer else 0, seed=self.seed,
        ) if shuffle else None
        return StatefulDataLoader(
            self.datasets[name],
            batch_size=self.batch_size,
            sampler=sampler,
            num_workers=self.num_workers,
            persistent_workers=self.num_workers > 0,
            collate_fn=collate_fn,
        )

    def train_dataloader(self) -> StatefulDataLoader:
        return self._loader("train", shuffle=True)

    def val_dataloader(self) -> StatefulDataLoader | list[StatefulDataLoader]:
        return self._loader("val", shuffle=False) if self.splits.get("val") is not None else []

    def test_dataloader(self) -> StatefulDataLoader | list[StatefulDataLoader]:
        return self._loader("test", shuffle=False) if self.splits.get("test") is not None else []

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from hydra.utils import instantiate
from omegaconf import OmegaConf
from PIL import Image, ImageDraw

from widget2code.data.datamodule import (
    DatasetError,
    EmptySplitError,
    SampleFileError,
    WidgetDataModule,
    fit_image,
)
from widget2code.data.manifest import SampleRecord, write_manifest
from widget2code.models.chat import IGNORE_INDEX
from widget2code.models.factory import build_tiny_model
from widget2code.models.tokenizer import train_tokenizer
from widget2code.task import SYSTEM_PROMPT, USER_PROMPT, format_completion

CONF = Path(__file__).resolve().parents[2] / "conf"
COLORS = [
    "#ef4444",
    "#f59e0b",
    "#10b981",
    "#3b82f6",
    "#8b5cf6",
    "#ec4899",
    "#14b8a6",
    "#64748b",
    "#0f172a",
    "#a3e635",
]
SPLITS = ["train"] * 7 + ["val", "val", "test"]


def _write_dataset(root: Path) -> list[SampleRecord]:
    records = []
    for i, (color, split) in enumerate(zip(COLORS, SPLITS, strict=True)):
        size = (120 + 20 * i, 80 + 10 * (i % 3))
        image = Image.new("RGB", size, "#ffffff" if i % 2 else "#111827")
        ImageDraw.Draw(image).rounded_rectangle([6, 6, size[0] - 6, size[1] - 6], radius=8, fill=color)
        image.save(root / f"w{i}.png")
        tsx = f'export default function W{i}() {{\n  return <div className="bg-[{color}] p-{i}">Item {i}</div>;\n}}'
        (root / f"w{i}.tsx").write_text(tsx, encoding="utf-8")
        records.append(SampleRecord(id=f"synthetic-{i:04d}", source="synthetic", category="stats", tsx=f"w{i}.tsx",
                                    image=f"w{i}.png", width=size[0], height=size[1], split=split,
                                    cot=f"A {color} card, padding {i}."))  # fmt: skip
    write_manifest(root, records)
    return records


def _target(record: SampleRecord, root: Path) -> str:
    return format_completion(record.cot or "", (root / record.tsx).read_text())


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[SampleRecord]]:
    root = tmp_path_factory.mktemp("widgets")
    return root, _write_dataset(root)


@pytest.fixture(scope="module")
def processor(dataset):
    root, records = dataset
    corpus = [SYSTEM_PROMPT, USER_PROMPT, *(_target(r, root) for r in records)]
    return build_tiny_model("glm4v", train_tokenizer(corpus, "glm4v", vocab_size=600)).processor


def _module(dataset, processor, **kwargs) -> WidgetDataModule:
    options = {"batch_size": 3, "seed": 0} | kwargs
    module = WidgetDataModule(dataset[0], processor, **options)
    module.setup("fit")
    return module


def test_sft_batches_carry_each_training_target_once(dataset, processor) -> None:
    root, records = dataset
    tokenizer = processor.tokenizer
    module = _module(dataset, processor, mode="sft")
    seen = []
    for batch in module.train_dataloader():
        assert set(batch) == {"input_ids", "attention_mask", "mm_token_type_ids", "pixel_values", "image_grid_thw",
                              "labels"}  # fmt: skip
        assert batch["image_grid_thw"].tolist() == [[1, 8, 8]] * len(batch["input_ids"])  # fitted to 112 px
        assert batch["pixel_values"].shape[0] == 64 * len(batch["input_ids"])
        for labels in batch["labels"]:
            seen.append(tokenizer.decode(labels[labels != IGNORE_INDEX]))
    expected = [_target(r, root) + tokenizer.eos_token for r in records if r.split == "train"]
    assert sorted(seen) == sorted(expected)
    val = [tokenizer.decode(row[row != IGNORE_INDEX]) for b in module.val_dataloader() for row in b["labels"]]
    assert val == [
        _target(r, root) + tokenizer.eos_token for r in records if r.split == "val"
    ]  # in file order


def test_think_target_is_the_trace_alone_for_caption_alignment(dataset, processor) -> None:
    records = dataset[1]
    tokenizer = processor.tokenizer
    module = _module(dataset, processor, mode="sft", target="think")
    seen = [tokenizer.decode(labels[labels != IGNORE_INDEX])
            for batch in module.train_dataloader() for labels in batch["labels"]]
    expected = [f"<think>{r.cot}</think>{tokenizer.eos_token}" for r in records if r.split == "train"]
    assert sorted(seen) == sorted(expected)
    with pytest.raises(DatasetError, match="'caption'"):
        WidgetDataModule(dataset[0], processor, target="caption")  # type: ignore[arg-type]


def test_grpo_batches_hold_prompts_and_full_size_references(dataset, processor) -> None:
    root, records = dataset
    by_id = {r.id: r for r in records}
    module = _module(dataset, processor, mode="grpo", image_size=None)
    batch = next(iter(module.train_dataloader()))
    assert set(batch) == {"inputs", "images", "ids", "tsx"} and "labels" not in batch["inputs"]
    inputs = batch["inputs"]
    assert (inputs["attention_mask"][:, -1] == 1).all()  # left padded: prompts end in the last column
    assert len(batch["images"]) == len(batch["ids"]) == len(batch["tsx"]) == inputs["input_ids"].shape[0] == 3
    for image, record_id, tsx in zip(batch["images"], batch["ids"], batch["tsx"], strict=True):
        record = by_id[record_id]
        assert record.split == "train"
        assert image.size == (record.width, record.height)
        assert tsx == (root / record.tsx).read_text()
    # image_size=None: the processor sees each screenshot as it is, so wide ones get wide grids
    grids = inputs["image_grid_thw"].tolist()
    assert all(w >= h for _, h, w in grids) and len({tuple(g) for g in grids}) > 1


@pytest.mark.slow
def test_shuffle_is_deterministic_from_the_seed(dataset, processor) -> None:
    def epochs(seed: int, count: int = 2) -> list[list[str]]:
        loader = _module(dataset, processor, mode="grpo", seed=seed).train_dataloader()
        return [[i for batch in loader for i in batch["ids"]] for _ in range(count)]

    first = epochs(0)
    assert first == epochs(0)
    assert first[0] != first[1]  # each epoch gets a new order, from the same seeded generator
    assert any(epochs(seed, 1)[0] != first[0] for seed in (1, 2, 3))


@pytest.mark.slow
def test_workers_give_the_same_batches(dataset, processor) -> None:
    serial = list(_module(dataset, processor, mode="sft").train_dataloader())
    parallel = list(_module(dataset, processor, mode="sft", num_workers=2).train_dataloader())
    assert len(serial) == len(parallel)
    for a, b in zip(serial, parallel, strict=True):
        assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


@pytest.mark.slow
def test_configs_build_a_model_that_trains_on_a_batch(dataset, tmp_path) -> None:
    cfg = OmegaConf.create({"seed": 0, "data": OmegaConf.load(CONF / "data/widgets.yaml"),
                            "model": OmegaConf.load(CONF / "model/tiny_glm4v.yaml")})  # fmt: skip
    cfg.data.dataset_dir = str(dataset[0])
    cfg.data.batch_size = 2
    cfg.model.preset = "tiny"
    cfg.model.tokenizer_dir = str(tmp_path)
    model, processor = instantiate(cfg.model)[:2]
    module = instantiate(cfg.data, processor=lambda: processor)
    module.setup("fit")
    batch = next(iter(module.train_dataloader()))
    loss = model(**batch).loss
    loss.backward()
    assert torch.isfinite(loss) and any(
        p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters()
    )
    assert len(list(tmp_path.iterdir())) == 1  # the tokenizer was cached for the next run


def test_fit_image_keeps_aspect_and_pads_with_the_background() -> None:
    image = Image.new("RGB", (200, 100), "#0f172a")
    ImageDraw.Draw(image).rectangle([20, 20, 180, 80], fill="#f59e0b")
    fitted = fit_image(image, 112)
    assert fitted.size == (112, 112)
    assert fitted.getpixel((56, 2)) == (15, 23, 42)  # padding band above the content: the background
    assert fitted.getpixel((56, 56)) == (245, 158, 11)  # the content, scaled to the full width
    assert fit_image(image, 112, pad_color="#ffffff").getpixel((56, 2)) == (255, 255, 255)


def test_missing_image_is_named_at_setup(dataset, processor, tmp_path) -> None:
    _write_dataset(tmp_path)
    (tmp_path / "w3.png").unlink()
    with pytest.raises(SampleFileError, match=rf"1 sample file\(s\) missing.*{tmp_path / 'w3.png'}"):
        _module((tmp_path, None), processor)


def test_unreadable_files_are_named_when_loaded(processor, tmp_path) -> None:
    records = _write_dataset(tmp_path)
    train = [r for r in records if r.split == "train"]
    (tmp_path / train[0].image).write_bytes(b"\x89PNG\r\n\x1a\n this is not an image")
    (tmp_path / train[1].tsx).write_bytes(b"\xff\xfe\x00 not utf-8")
    module = _module((tmp_path, None), processor, splits={"val": None})
    with pytest.raises(SampleFileError, match=str(tmp_path / train[0].image)):
        module.datasets["train"][0]
    with pytest.raises(SampleFileError, match=str(tmp_path / train[1].tsx)):
        module.datasets["train"][1]


def test_empty_split_and_bad_arguments(dataset, processor) -> None:
    with pytest.raises(EmptySplitError, match=r"split holdout \(stage val\).*'train': 7"):
        _module(dataset, processor, splits={"val": "holdout"})
    module = _module(dataset, processor, splits={"val": None})
    assert module.val_dataloader() == [] and len(module.train_dataloader().dataset) == 7
    with pytest.raises(DatasetError, match="'rl'"):
        WidgetDataModule(dataset[0], processor, mode="rl")  # type: ignore[arg-type]
    with pytest.raises(DatasetError, match="predict"):
        WidgetDataModule(dataset[0], processor, splits={"predict": "test"})

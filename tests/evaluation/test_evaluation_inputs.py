"""References, predictors, the official layout and preflight checks, on files made here (no browser)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from widget2code.data.manifest import SampleRecord, write_manifest
from widget2code.evaluation.errors import PredictionsError, ReferencesError
from widget2code.evaluation.layout import read_prediction, sample_dir, write_prediction
from widget2code.evaluation.predictors import OraclePredictor, TsxDirPredictor
from widget2code.evaluation.preflight import check_reward_clients
from widget2code.evaluation.references import from_benchmark_dir, from_manifest, load_references
from widget2code.inference.predictor import Prediction
from widget2code.llm import LLMConfigError
from widget2code.render import ErrorKind, RenderResult
from widget2code.rewards.composite import CompositeReward
from widget2code.rewards.programmatic import ProgrammaticReward
from widget2code.rewards.vlm_judge import VLMJudgeReward


def _png(path: Path, colour: str = "navy") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGBA" if path.suffix == ".png" else "RGB", (40, 30), colour).save(path)
    return path


def test_benchmark_folder_ids_are_the_first_four_digit_run(tmp_path: Path) -> None:
    for name in ("gt_0002.png", "gt_0001.png", "shot-0010-v2.jpg", "cover.png"):
        _png(tmp_path / name)
    (tmp_path / "notes_0003.txt").write_text("not a picture")
    references = from_benchmark_dir(tmp_path)
    assert [r.id for r in references] == ["0001", "0002", "0010"]  # cover.png has no id: not a reference
    assert references[0].image.mode == "RGB" and references[0].tsx is None


@pytest.mark.parametrize("case", ["missing", "empty", "duplicate", "corrupt", "both sources", "no source"])
def test_bad_reference_inputs_are_typed_errors(tmp_path: Path, case: str) -> None:
    folder = tmp_path / "gt"
    folder.mkdir()
    if case == "duplicate":
        _png(folder / "gt_0001.png")
        _png(folder / "gt_0001_copy.png")
    if case == "corrupt":
        (folder / "gt_0001.png").write_bytes(b"not a png")
    arguments = {"missing": {"dir": tmp_path / "absent"}, "both sources": {"dir": folder, "manifest": folder},
                 "no source": {}}.get(case, {"dir": folder})
    with pytest.raises(ReferencesError) as raised:
        load_references(**arguments)
    expected = {"missing": "does not exist", "empty": "no screenshots", "duplicate": "duplicate id 0001",
                "corrupt": "cannot read", "both sources": "exactly one", "no source": "exactly one"}[case]
    assert expected in str(raised.value)


def _manifest(root: Path) -> Path:
    records = []
    for i, split in enumerate(["train", "test", "test"]):
        (root / f"w{i}.tsx").write_text(f"export default () => <div>{i}</div>;")
        _png(root / f"w{i}.png")
        records.append(SampleRecord(id=f"synthetic-{i}", source="synthetic", category=f"c{i % 2}",
                                    tsx=f"w{i}.tsx", image=f"w{i}.png", difficulty="simple", split=split))
    write_manifest(root, records)
    return root


def test_manifest_references_take_the_split_in_order(tmp_path: Path) -> None:
    references = from_manifest(_manifest(tmp_path), "test")
    assert [(r.id, r.source_id, r.category) for r in references] == [("0001", "synthetic-1", "c1"),
                                                                     ("0002", "synthetic-2", "c0")]
    assert references[0].tsx == "export default () => <div>1</div>;"
    with pytest.raises(ReferencesError, match="no records with split 'val'"):
        from_manifest(tmp_path, "val")


def test_tsx_folder_matches_ids_and_reports_missing(tmp_path: Path) -> None:
    (tmp_path / "pred_0001.tsx").write_text("A")
    (tmp_path / "image_0003").mkdir()
    (tmp_path / "image_0003" / "output.tsx").write_text("C")
    predictor = TsxDirPredictor(tmp_path)
    predictions = predictor.predict([], ["0001", "0002", "0003"])
    assert [p.code for p in predictions] == ["A", None, "C"]
    assert predictions[1].extra == {"missing": True}
    with pytest.raises(PredictionsError, match="match none"):
        predictor.validate(["0007", "0008"])


@pytest.mark.parametrize("case", ["absent", "no tsx", "duplicate", "no ids"])
def test_bad_tsx_folders_are_typed_errors(tmp_path: Path, case: str) -> None:
    folder = tmp_path / "pred"
    if case != "absent":
        folder.mkdir()
        (folder / "readme.txt").write_text("no code here")
    if case == "duplicate":
        (folder / "a_0001.tsx").write_text("A")
        (folder / "b_0001.tsx").write_text("B")
    if case == "no ids":
        (folder / "widget.tsx").write_text("A")
    message = {"absent": "does not exist", "no tsx": "no .tsx files", "duplicate": "duplicate id 0001",
               "no ids": "4-digit id"}[case]
    with pytest.raises(PredictionsError, match=message):
        TsxDirPredictor(folder)


def test_oracle_returns_the_reference_code_and_needs_a_manifest(tmp_path: Path) -> None:
    oracle = OraclePredictor(_manifest(tmp_path))
    assert [p.code for p in oracle.predict([], ["0002", "0009"])] == ["export default () => <div>2</div>;", None]
    with pytest.raises(PredictionsError, match="needs references from a manifest"):
        OraclePredictor(None)


def test_official_layout_round_trip(tmp_path: Path) -> None:
    png = _png(tmp_path / "render.png").read_bytes()
    prediction = Prediction(text="<think>x</think><code>A</code>", code="A", score=0.5, extra={"n": 2})
    folder = write_prediction(tmp_path / "pred", "0007", prediction, RenderResult(ok=True, png=png))
    assert folder == sample_dir(tmp_path / "pred", "0007") and folder.name == "image_0007"
    assert (folder / "output.tsx").read_text() == "A" and (folder / "output.png").read_bytes() == png
    assert read_prediction(tmp_path / "pred", "0007") == prediction
    # Rewritten after a failed render: the stale output.png goes (the official evaluator reads it as missing).
    write_prediction(tmp_path / "pred", "0007", prediction, RenderResult.failure(ErrorKind.SYNTAX, "bad"))
    assert not (folder / "output.png").exists() and (folder / "output.tsx").exists()
    assert not list(tmp_path.rglob("*.tmp"))
    assert read_prediction(tmp_path / "pred", "0008") is None


def test_preflight_finds_a_judge_without_its_api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    programmatic = ProgrammaticReward(weights={"ssim": 1.0, "lpips": 0.0})
    check_reward_clients(programmatic)  # nothing to check
    composite = CompositeReward({"programmatic": programmatic, "judge": VLMJudgeReward()})
    with pytest.raises(LLMConfigError, match="OPENAI_API_KEY"):
        check_reward_clients(composite)

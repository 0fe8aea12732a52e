"""What every stage shares: its report, path rebasing, and the resumable output of per-record stages.

A stage reads the dataset in `in_dir` and writes a new one in `out_dir`. Record paths are relative to
their manifest's directory, so a stage writing elsewhere rebases them (the files themselves stay put).
Per-record stages (build, collect, render_verify, annotate) append each finished record at once, kept
to `out_dir/manifest.jsonl` or dropped to `out_dir/rejected/manifest.jsonl`; a rerun skips both, so a
Ctrl-C or a crash loses only the records in flight.
"""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

from widget2code.data.manifest import (
    MANIFEST,
    ManifestAppender,
    SampleRecord,
    iter_manifest,
    write_manifest,
)
from widget2code.files import atomic_write_text

REJECTED = "rejected"
PARAMS = "params.json"

T = TypeVar("T")


@dataclass
class StageReport:
    """What a stage did: records in, kept, dropped by reason, and how many an earlier run had done."""

    stage: str
    inputs: int = 0
    kept: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    #: Records finished by an earlier run and skipped by this one.
    resumed: int = 0
    #: Records that failed transiently (e.g. the API): not recorded, so a rerun tries them again.
    pending: int = 0
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)
    #: True when the pipeline found the stage up to date and did not run it.
    skipped: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StageReport:
        return cls(**data)


def rebase(record: SampleRecord, from_dir: str | os.PathLike[str], to_dir: str | os.PathLike[str]) -> SampleRecord:
    """The record with its file paths made relative to `to_dir` instead of `from_dir`."""
    if Path(from_dir).resolve() == Path(to_dir).resolve():
        return record

    def move(path: str) -> str:
        if not path:
            return path
        absolute = Path(from_dir).resolve() / path
        return Path(os.path.relpath(absolute, Path(to_dir).resolve())).as_posix()

    return replace(record, tsx=move(record.tsx), image=move(record.image),
                   provenance=dict(record.provenance), metrics=dict(record.metrics))


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), max(1, size)):
        yield items[start:start + size]


def drop_reasons(records: Iterable[SampleRecord]) -> dict[str, int]:
    return dict(sorted(Counter(r.metrics.get("drop_reason", "unknown") for r in records).items()))


class RecordOutput:
    """The resumable output of a per-record stage: kept and rejected appenders under `out_dir`.

    `params` are the settings that change a stage's decisions (a threshold, a prompt version). When
    they differ from those of the run that wrote `out_dir`, its records no longer mean the same thing,
    so they are discarded and the stage starts over rather than mixing two settings in one dataset.
    """

    def __init__(self, out_dir: str | os.PathLike[str], params: dict[str, Any]) -> None:
        self.out_dir = Path(out_dir)
        self.reject_dir = self.out_dir / REJECTED
        self.out_dir.mkdir(parents=True, exist_ok=True)
        params_path = self.out_dir / PARAMS
        wanted = json.loads(json.dumps(params, sort_keys=True, default=str))
        if params_path.exists() and json.loads(params_path.read_text(encoding="utf-8")) != wanted:
            (self.out_dir / MANIFEST).unlink(missing_ok=True)
            shutil.rmtree(self.reject_dir, ignore_errors=True)
        atomic_write_text(params_path, json.dumps(wanted, indent=2, sort_keys=True))
        self._kept = ManifestAppender(self.out_dir)
        self._rejected = ManifestAppender(self.reject_dir)

    @property
    def done_ids(self) -> set[str]:
        return self._kept.done_ids | self._rejected.done_ids

    def keep(self, record: SampleRecord, from_dir: str | os.PathLike[str]) -> None:
        self._kept.append(rebase(record, from_dir, self.out_dir))

    def reject(self, record: SampleRecord, from_dir: str | os.PathLike[str], reason: str, message: str = "") -> None:
        record = rebase(record, from_dir, self.reject_dir)
        record.metrics["drop_reason"] = reason
        if message:
            record.metrics["drop_message"] = message[:500]
        self._rejected.append(record)

    def finish(self, report: StageReport, order: Sequence[str]) -> StageReport:
        """Close the appenders and rewrite both manifests in `order`, keeping only the ids in it.

        Appends arrive in completion order and may include ids a rerun no longer asks for (a smaller
        `num_samples`); the rewrite makes the output deterministic and exactly the requested set.
        """
        self._kept.close()
        self._rejected.close()
        rank = {record_id: i for i, record_id in enumerate(order)}
        kept = _ordered(iter_manifest(self.out_dir), rank)
        rejected = _ordered(iter_manifest(self.reject_dir), rank)
        write_manifest(self.out_dir, kept)
        write_manifest(self.reject_dir, rejected)
        report.kept, report.dropped = len(kept), drop_reasons(rejected)
        return report

    def __enter__(self) -> RecordOutput:
        return self

    def __exit__(self, *exc: object) -> None:
        self._kept.close()
        self._rejected.close()


def _ordered(records: Iterable[SampleRecord], rank: dict[str, int]) -> list[SampleRecord]:
    latest = {r.id: r for r in records if r.id in rank}  # a repeated id (a crash mid-rewrite): last wins
    return sorted(latest.values(), key=lambda r: rank[r.id])


def write_rejected(out_dir: str | os.PathLike[str], from_dir: str | os.PathLike[str],
                   rejected: Iterable[tuple[SampleRecord, str]]) -> dict[str, int]:
    """For whole-dataset stages: write the dropped records (with their reason) in one atomic go."""
    reject_dir = Path(out_dir) / REJECTED
    records = []
    for record, reason in rejected:
        record = rebase(record, from_dir, reject_dir)
        record.metrics["drop_reason"] = reason
        records.append(record)
    write_manifest(reject_dir, records)
    return drop_reasons(records)


def write_json(path: str | os.PathLike[str], data: Any) -> None:
    atomic_write_text(path, json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")

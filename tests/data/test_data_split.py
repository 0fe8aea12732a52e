from __future__ import annotations

from collections import Counter, defaultdict

import pytest

from widget2code.data.manifest import SampleRecord, read_manifest, write_manifest
from widget2code.data.stages.split import SplitConfigError, assign_splits, split, target_counts

RATIOS = {"train": 0.9, "val": 0.05, "test": 0.05}


def records(n: int, categories: int = 5, cluster_every: int = 0) -> list[SampleRecord]:
    """n records over categories x 3 difficulties; with cluster_every=k, each k consecutive ids share a cluster."""
    out = []
    for i in range(n):
        cat = f"cat{i % categories}"
        diff = ("simple", "medium", "complex")[(i // categories) % 3]
        metrics = {"cluster": f"c{i // cluster_every}"} if cluster_every else {}
        out.append(SampleRecord(id=f"s-{i:05d}", source="synthetic", category=cat, tsx=f"tsx/{i}.tsx",
                                image=f"images/{i}.png", difficulty=diff, metrics=metrics))
    return out


def test_split_hits_the_ratios_exactly_for_singletons():
    counts = Counter(assign_splits(records(1000), RATIOS, seed=0).values())
    assert counts == {"train": 900, "val": 50, "test": 50}


def test_split_is_deterministic_in_the_seed():
    recs = records(300)
    assert assign_splits(recs, RATIOS, seed=3) == assign_splits(list(reversed(recs)), RATIOS, seed=3)
    assert assign_splits(recs, RATIOS, seed=3) != assign_splits(recs, RATIOS, seed=4)


def test_every_stratum_is_spread_over_the_splits_in_proportion():
    recs = records(3000, categories=10)  # 30 strata of 100
    assignment = assign_splits(recs, RATIOS, seed=1)
    per_stratum: dict[tuple[str, str | None], Counter[str]] = defaultdict(Counter)
    for r in recs:
        per_stratum[(r.category, r.difficulty)][assignment[r.id]] += 1
    assert len(per_stratum) == 30
    for counts in per_stratum.values():
        assert 88 <= counts["train"] <= 92
        assert 3 <= counts["val"] <= 7 and 3 <= counts["test"] <= 7


def test_clusters_are_never_split_and_ratios_stay_close():
    recs = records(900, cluster_every=3)  # 300 clusters of 3 near-duplicates
    assignment = assign_splits(recs, RATIOS, seed=0)
    by_cluster: dict[str, set[str]] = defaultdict(set)
    for r in recs:
        by_cluster[r.metrics["cluster"]].add(assignment[r.id])
    assert all(len(splits) == 1 for splits in by_cluster.values())
    counts = Counter(assignment.values())
    assert abs(counts["val"] - 45) <= 3 and abs(counts["test"] - 45) <= 3


def test_a_tiny_dataset_still_gets_every_split():
    counts = Counter(assign_splits(records(12), RATIOS, seed=0).values())
    assert counts["val"] >= 1 and counts["test"] >= 1 and sum(counts.values()) == 12


def test_target_counts_and_bad_ratios():
    assert target_counts(10, {"a": 0.5, "b": 0.5}) == {"a": 5, "b": 5}
    assert sum(target_counts(7, RATIOS).values()) == 7
    with pytest.raises(SplitConfigError, match="sum to 1"):
        target_counts(10, {"train": 0.9, "val": 0.2})
    with pytest.raises(SplitConfigError, match="non-negative"):
        target_counts(10, {"train": 1.2, "val": -0.2})


def test_split_stage_writes_a_new_manifest_with_rebased_paths(tmp_path):
    write_manifest(tmp_path / "in", records(40))
    report = split(tmp_path / "in", tmp_path / "out", ratios=RATIOS, seed=0)
    out = read_manifest(tmp_path / "out")
    assert report.kept == 40 and sum(report.extra["sizes"].values()) == 40
    assert {r.split for r in out} == {"train", "val", "test"}
    assert out[0].tsx == "../in/tsx/0.tsx"
    assert read_manifest(tmp_path / "in")[0].split is None  # the input is left alone

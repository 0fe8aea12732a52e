"""dedup: find near-duplicate images with perceptual hashes and keep one record per cluster.

Each image gets a dHash (`imagehash`, `hash_size`² bits). Two images are near-duplicates when their
hashes differ in at most `max_distance` bits. Candidate pairs come from hash-band bucketing rather
than MinHash LSH: cutting the bits into `max_distance + 1` bands, any two hashes within the distance
agree exactly on at least one band (pigeonhole), so bucketing by band finds every near pair with no
false negatives and no tuning; MinHash approximates Jaccard similarity, not Hamming distance, and
would miss some. Candidates are then checked exactly. Near pairs are linked into clusters (connected
components, i.e. single linkage); the first `keep_per_cluster` members by (highest verify SSIM,
smallest id) are kept, all members get the cluster's id (its first member's id) in
`metrics["cluster"]`, and the clusters are written to `dedup_clusters.json`.
"""

from __future__ import annotations

import os
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import imagehash
import numpy as np
from PIL import Image, UnidentifiedImageError
from rich.progress import Progress
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from widget2code.data.manifest import SampleRecord, read_manifest, write_manifest
from widget2code.data.progress import track
from widget2code.data.stages.base import StageReport, rebase, write_json, write_rejected

CLUSTERS_FILE = "dedup_clusters.json"


def dhash_bits(image: Image.Image, hash_size: int) -> np.ndarray:
    """The dHash of `image` as a flat bool array of hash_size² bits."""
    return imagehash.dhash(image, hash_size=hash_size).hash.flatten()


def near_pairs(bits: np.ndarray, max_distance: int) -> np.ndarray:
    """All index pairs (i < j) whose rows of `bits` (n × b bools) differ in at most `max_distance` bits."""
    n, width = bits.shape
    if not 0 <= max_distance < width:
        raise ValueError(f"dedup max_distance must be in [0, {width - 1}] for {width}-bit hashes, got {max_distance}")
    packed = np.packbits(bits, axis=1)
    found: set[tuple[int, int]] = set()
    for band in np.array_split(np.arange(width), max_distance + 1):
        buckets: defaultdict[bytes, list[int]] = defaultdict(list)
        band_bytes = np.packbits(bits[:, band], axis=1)
        for i in range(n):
            buckets[band_bytes[i].tobytes()].append(i)
        for members in buckets.values():
            if len(members) < 2:
                continue
            idx = np.asarray(members)
            for k in range(len(idx) - 1):  # vectorised per row: a big bucket costs O(m²/2) popcounts in numpy
                rest = idx[k + 1:]
                distance = np.bitwise_count(packed[rest] ^ packed[idx[k]]).sum(axis=1)
                found.update((int(idx[k]), int(j)) for j in rest[distance <= max_distance])
    return np.asarray(sorted(found), dtype=np.int64).reshape(-1, 2)


def cluster_labels(n: int, pairs: np.ndarray) -> np.ndarray:
    """Connected components of the near-duplicate graph: one label per item."""
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    graph = coo_matrix((np.ones(len(pairs), dtype=np.int8), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    return connected_components(graph, directed=False)[1]


def dedup(in_dir: str | os.PathLike[str], out_dir: str | os.PathLike[str], *, max_distance: int = 10,
          hash_size: int = 16, keep_per_cluster: int = 1, progress: Progress | None = None) -> StageReport:
    """Drop near-duplicates (see the module docstring); rewrites `out_dir` as a whole, atomically."""
    if keep_per_cluster < 1:
        raise ValueError(f"dedup keep_per_cluster must be >= 1, got {keep_per_cluster}")
    start = time.perf_counter()
    in_dir, out_dir = Path(in_dir), Path(out_dir)
    records = read_manifest(in_dir)
    report = StageReport("dedup", inputs=len(records))
    hashed: list[SampleRecord] = []
    rows: list[np.ndarray] = []
    rejected: list[tuple[SampleRecord, str]] = []

    def hash_one(record: SampleRecord) -> np.ndarray | None:
        try:
            with Image.open(in_dir / record.image) as image:
                return dhash_bits(image, hash_size)
        except (OSError, UnidentifiedImageError):
            return None

    # PNG decoding and resizing release the GIL, so threads hash in parallel.
    with track(progress, "dedup", len(records)) as advance, ThreadPoolExecutor(os.cpu_count() or 1) as pool:
        for record, row in zip(records, pool.map(hash_one, records), strict=True):
            if row is None:
                rejected.append((record, "unreadable_image"))
            else:
                hashed.append(record)
                rows.append(row)
            advance(1)
    bits = np.asarray(rows, dtype=bool).reshape(len(rows), hash_size * hash_size)
    pairs = near_pairs(bits, max_distance)
    labels = cluster_labels(len(hashed), pairs)
    members: defaultdict[int, list[int]] = defaultdict(list)
    for i, label in enumerate(labels):
        members[int(label)].append(i)

    kept_ids: set[str] = set()
    clusters = []
    for group in members.values():
        group.sort(key=lambda i: (-float(hashed[i].metrics.get("verify_ssim") or 0.0), hashed[i].id))
        cluster_id = hashed[group[0]].id
        for rank, i in enumerate(group):
            hashed[i].metrics["cluster"] = cluster_id
            hashed[i].metrics["dhash"] = np.packbits(bits[i]).tobytes().hex()
            if rank < keep_per_cluster:
                kept_ids.add(hashed[i].id)
            else:
                hashed[i].metrics["duplicate_of"] = cluster_id
                rejected.append((hashed[i], "near_duplicate"))
        if len(group) > 1:
            clusters.append({"cluster": cluster_id, "members": [hashed[i].id for i in group],
                             "kept": [hashed[i].id for i in group[:keep_per_cluster]]})
    clusters.sort(key=lambda c: c["cluster"])

    kept = [rebase(r, in_dir, out_dir) for r in hashed if r.id in kept_ids]
    write_json(out_dir / CLUSTERS_FILE, {"hash_size": hash_size, "max_distance": max_distance,
                                         "bands": max_distance + 1, "near_pairs": len(pairs),
                                         "clusters": clusters})
    report.dropped = write_rejected(out_dir, in_dir, rejected)
    write_manifest(out_dir, kept)
    report.kept = len(kept)
    report.extra = {"clusters": len(clusters), "near_pairs": len(pairs)}
    report.seconds = time.perf_counter() - start
    return report

"""Pure image-similarity metrics over a prepared `PairBatch` (see `images.py`).

Each function returns one similarity per pair as a float64 array in [0, 1], 1 meaning identical.
Every statistic is taken over the pair's `valid` pixels only. LPIPS, which needs a network, lives in
`lpips_net.py`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from scipy import ndimage
from scipy.optimize import linear_sum_assignment
from skimage.color import rgb2lab
from skimage.metrics import structural_similarity

from widget2code.rewards.images import PairBatch

#: ITU-R BT.601 luma weights, the same grayscale PIL's convert("L") uses.
LUMA = np.array([0.299, 0.587, 0.114], dtype=np.float32)


def gray(images: np.ndarray) -> np.ndarray:
    """(..., 3) float32 RGB in [0, 1] -> (...) float32 luma in [0, 1]."""
    return images @ LUMA


def masked_mean(values: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Mean of (B, H, W) `values` over each pair's valid pixels -> (B,)."""
    counts = valid.reshape(len(valid), -1).sum(axis=1)
    return (values * valid).reshape(len(valid), -1).sum(axis=1) / np.maximum(counts, 1)


def _clip01(values: np.ndarray) -> np.ndarray:
    return np.clip(np.nan_to_num(values, nan=0.0, posinf=0.0, neginf=0.0), 0.0, 1.0)


def ssim(batch: PairBatch) -> np.ndarray:
    """Structural similarity of the luma channels (scikit-image, Wang et al.'s settings).

    As in Wang et al.'s reference code, images larger than 256 px are first averaged down by an
    integer factor f = round(size / 256) (SSIM's 11-px Gaussian window is tuned to that scale), then
    the SSIM map is averaged over the valid pixels.
    """
    factor = max(1, round(batch.size / 256))
    # float32 is faster to filter than float64, and identical inputs still give exactly 1 (the terms cancel).
    ref, cand = gray(batch.reference), gray(batch.candidate)
    valid = batch.valid
    if factor > 1:
        ref, cand, valid = (_block_mean(a, factor) for a in (ref, cand, valid.astype(np.float32)))
        valid = valid > 0
    scores = np.empty(len(batch))
    for i in range(len(batch)):
        _, smap = structural_similarity(ref[i], cand[i], data_range=1.0, gaussian_weights=True, sigma=1.5,
                                        use_sample_covariance=False, full=True)
        scores[i] = masked_mean(smap[None], valid[i][None])[0]
    return _clip01(scores)


def _block_mean(images: np.ndarray, factor: int) -> np.ndarray:
    """(B, H, W) -> (B, H // factor, W // factor) block averages (torch's pooling: multi-threaded)."""
    return F.avg_pool2d(torch.from_numpy(np.ascontiguousarray(images))[:, None], factor)[:, 0].numpy()


def contrast(batch: PairBatch, floor: float = 0.01) -> np.ndarray:
    """Ratio of the luma standard deviations, (min + floor) / (max + floor).

    A ratio rather than SSIM's contrast term (2ab + C) / (a² + b² + C), which is quadratic near 1 and
    barely moves (0.995 for a 10 % loss of contrast). `floor` (≈ 2.5 grey levels) keeps flat images
    comparable: two flat images score 1.
    """
    def luma_std(images: np.ndarray, valid: np.ndarray) -> np.ndarray:
        luma = gray(images)
        mean = masked_mean(luma, valid)
        return np.sqrt(masked_mean((luma - mean[:, None, None]) ** 2, valid))

    stds = per_image(luma_std, batch)
    low, high = np.minimum(*stds), np.maximum(*stds)
    return _clip01((low + floor) / (high + floor))


def polarity(batch: PairBatch, bins: int = 64, smoothing: float = 1.0) -> np.ndarray:
    """Correlation of the LAB-lightness histograms, max(0, r): light-on-dark versus dark-on-light.

    Lightness comes from scikit-image's rgb2lab on every pixel, or every (size // 256)-th pixel in
    each direction above 256 px. The histograms are smoothed by a Gaussian of `smoothing` bins so that a small lightness shift
    lowers the correlation gradually instead of all at once when mass crosses a bin edge. Two flat
    histograms (no variance) count as identical only if they are equal.
    """
    step = max(1, batch.size // 256)  # a histogram needs no more than 256 x 256 samples per image

    def histogram(images: np.ndarray, valid: np.ndarray) -> np.ndarray:
        lightness = rgb2lab(images[:, ::step, ::step])[..., 0]  # (B, S', S') in [0, 100]
        idx = np.clip((lightness / 100.0 * bins).astype(np.int64), 0, bins - 1)
        idx += np.arange(len(images))[:, None, None] * bins
        hist = np.bincount(idx[valid[:, ::step, ::step]], minlength=len(images) * bins).reshape(-1, bins)
        hist = hist / np.maximum(hist.sum(axis=1, keepdims=True), 1)
        return ndimage.gaussian_filter1d(hist, smoothing, axis=1, mode="constant") if smoothing else hist

    hists = per_image(histogram, batch)
    a, b = (h - h.mean(axis=1, keepdims=True) for h in hists)
    denom = np.sqrt((a**2).sum(axis=1) * (b**2).sum(axis=1))
    flat_equal = np.all(np.isclose(hists[0], hists[1]), axis=1)
    r = np.where(denom > 0, (a * b).sum(axis=1) / np.where(denom > 0, denom, 1.0), flat_equal.astype(float))
    return _clip01(r)


def foreground_masks(images: np.ndarray, valid: np.ndarray, background: np.ndarray,
                     threshold: float = 0.1, dilation: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """The two element masks the layout metric compares, each (B, S, S) bool.

    silhouette: pixels whose colour differs from the page background by more than `threshold`
      (largest channel difference) — where the widget's boxes are.
    structure: pixels within `dilation` px of an edge (Sobel step height above `threshold` in any
      channel) — where the elements inside those boxes are (text, icons, dividers on a card whose
      fill already covers the silhouette). The dilation makes a small shift cost a little, not all.
    The per-pixel work runs in torch, whose elementwise ops use every core.
    """
    x = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2)  # (B, C, H, W)
    bg = torch.from_numpy(np.asarray(background, dtype=np.float32)).view(1, -1, 1, 1)
    silhouette = ((x - bg).abs().amax(dim=1) > threshold).numpy() & valid
    edges = _sobel_magnitude_sq(x) > threshold**2
    if dilation > 0:
        # Two 1-D passes: a square max filter is separable, and scipy's 1-D filter is the fast one.
        edges = ndimage.maximum_filter1d(edges, 2 * dilation + 1, axis=1)
        edges = ndimage.maximum_filter1d(edges, 2 * dilation + 1, axis=2)
    return silhouette, edges & valid


def _sobel_magnitude_sq(x: torch.Tensor) -> np.ndarray:
    """Largest squared Sobel gradient magnitude over the channels of (B, C, H, W) images, as a step height.

    Array slices in torch: `ndimage.sobel` on a stacked array would also smooth across the batch and
    channel axes, and torch's elementwise ops use every core (about 2x numpy here). The
    [-1, 0, 1] x [1, 2, 1] kernel answers 4 for a unit step, hence the / 4.
    """
    p = F.pad(x, (1, 1, 1, 1), mode="replicate")
    dx = p[..., 2:] - p[..., :-2]
    gx = (dx[..., :-2, :] + 2 * dx[..., 1:-1, :] + dx[..., 2:, :]) / 4.0
    dy = p[..., 2:, :] - p[..., :-2, :]
    gy = (dy[..., :-2] + 2 * dy[..., 1:-1] + dy[..., 2:]) / 4.0
    return (gx * gx + gy * gy).amax(dim=1).numpy()


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    inter = (a & b).reshape(len(a), -1).sum(axis=1)
    union = (a | b).reshape(len(a), -1).sum(axis=1)
    return np.where(union > 0, inter / np.maximum(union, 1), 1.0)  # both empty: the same (blank) layout


def layout(batch: PairBatch, threshold: float = 0.1, dilation: int | None = None) -> np.ndarray:
    """Mean of the IoUs of the silhouette masks and of the structure masks (`foreground_masks`).

    Removing an element empties its part of the candidate's masks and moving it misaligns them, so
    both lower the IoU. `dilation` defaults to size / 128 px (2 px at 256).
    """
    dil = max(1, batch.size // 128) if dilation is None else dilation
    ref, cand = per_image(lambda images, valid: np.stack(
        foreground_masks(images, valid, batch.background, threshold, dil)), batch, axis=1)
    return _clip01(0.5 * _iou(ref[0], cand[0]) + 0.5 * _iou(ref[1], cand[1]))


def palette(batch: PairBatch, clusters: int = 6, samples: int = 64, max_delta_e: float = 50.0,
            iterations: int = 10) -> np.ndarray:
    """Similarity of the dominant-colour palettes.

    Each image's pixels (a `samples` x `samples` grid over its valid region) are clustered in LAB
    with k-means; the clusters of reference and candidate are matched one-to-one with the Hungarian
    algorithm (scipy) maximising sum(min(mass_r, mass_c) * colour_similarity), where
    colour_similarity = max(0, 1 - ΔE76 / max_delta_e). That sum is 1 for identical palettes and
    falls when colours drift or when their proportions change.
    """
    first, ref_index = unique_references(batch)
    ref_px = _grid_samples(batch.reference[first], batch.valid[first], samples)
    cand_px = _grid_samples(batch.candidate, batch.valid, samples)
    centers, masses = kmeans_palette(np.concatenate([ref_px, cand_px]), clusters, iterations)
    n, r = len(batch), len(ref_px)
    scores = np.empty(n)
    for i in range(n):
        j = ref_index[i]
        delta_e = np.linalg.norm(centers[j][:, None, :] - centers[r + i][None, :, :], axis=-1)
        gain = np.minimum(masses[j][:, None], masses[r + i][None, :]) * np.clip(1 - delta_e / max_delta_e, 0, 1)
        rows, cols = linear_sum_assignment(gain, maximize=True)
        scores[i] = gain[rows, cols].sum()
    return _clip01(scores)


def unique_images(*arrays: np.ndarray) -> tuple[list[int], list[int]]:
    """Dedupe a batch: (the first index of each distinct entry, the distinct entry of every index).

    Entries are equal when every array agrees at that index.
    """
    seen: dict[bytes, int] = {}
    index = [seen.setdefault(b"".join(np.ascontiguousarray(a[i]).tobytes() for a in arrays), len(seen))
             for i in range(len(arrays[0]))]
    return _first_of_each(index), index


def unique_references(batch: PairBatch) -> tuple[list[int], list[int]]:
    """`unique_images` for the batch's (reference, valid) pairs, from `prepare_pairs`' bookkeeping when
    available. A GRPO group repeats one reference for all its candidates, so each distinct reference's
    statistics are computed once instead of once per pair."""
    if batch.reference_index is None:
        return unique_images(batch.reference, batch.valid)
    index = list(batch.reference_index)
    return _first_of_each(index), index


def _first_of_each(index: list[int]) -> list[int]:
    first = {j: i for i, j in reversed(list(enumerate(index)))}
    return [first[j] for j in range(len(first))]


def per_image(stat: Callable[[np.ndarray, np.ndarray], np.ndarray], batch: PairBatch,
              axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """`stat(images, valid)` (batch along `axis` of its result) for the references and the candidates,
    with each distinct (reference, valid) computed once."""
    first, index = unique_references(batch)
    ref = np.take(stat(batch.reference[first], batch.valid[first]), index, axis=axis)
    return ref, stat(batch.candidate, batch.valid)


def _grid_samples(images: np.ndarray, valid: np.ndarray, samples: int) -> np.ndarray:
    """(B, samples², 3) pixels on a regular grid over each image's valid (top-left) rectangle."""
    out = np.empty((len(images), samples * samples, 3), dtype=np.float32)
    for i in range(len(images)):
        h, w = int(valid[i].any(axis=1).sum()), int(valid[i].any(axis=0).sum())
        ys = np.linspace(0, max(h - 1, 0), samples).round().astype(np.int64)
        xs = np.linspace(0, max(w - 1, 0), samples).round().astype(np.int64)
        out[i] = images[i][np.ix_(ys, xs)].reshape(-1, 3)
    return out


def kmeans_palette(pixels: np.ndarray, clusters: int, iterations: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Batched k-means in LAB: (B, N, 3) RGB pixels -> centres (B, K, 3) LAB and masses (B, K).

    Hand-written rather than scikit-learn's KMeans because it runs one vectorised Lloyd loop over the
    whole batch (sklearn fits one image per call) and starts deterministically from each image's most
    frequent colours (4-bit-per-channel bins), so identical images always get identical palettes and
    a single-colour image gets one cluster of mass 1 (the other centres stay empty, mass 0).
    """
    b, n, _ = pixels.shape
    lab = rgb2lab(pixels).astype(np.float64)
    q = np.clip((pixels * 15.0 + 0.5).astype(np.int64), 0, 15)
    bins = (q[..., 0] * 256 + q[..., 1] * 16 + q[..., 2] + np.arange(b)[:, None] * 4096).ravel()
    counts = np.bincount(bins, minlength=b * 4096).reshape(b, 4096)
    top = np.argsort(-counts, axis=1, kind="stable")[:, :clusters]  # (B, K) most frequent bins
    top_counts = np.take_along_axis(counts, top, axis=1)
    centers = _bin_means(bins, lab, b * 4096).reshape(b, 4096, 3)
    centers = np.take_along_axis(centers, top[..., None], axis=1)
    # Fewer distinct colours than clusters: park the spare centres on the most frequent colour; ties go
    # to the first centre, so the spares stay empty.
    centers = np.where(top_counts[..., None] > 0, centers, centers[:, :1])
    offsets = np.arange(b)[:, None] * clusters
    sq = (lab**2).sum(axis=-1)[:, :, None]
    for _ in range(max(1, iterations)):
        dist = sq - 2 * lab @ centers.transpose(0, 2, 1) + (centers**2).sum(axis=-1)[:, None, :]
        assign = (dist.argmin(axis=-1) + offsets).ravel()
        mass = np.bincount(assign, minlength=b * clusters).reshape(b, clusters)
        new = np.where(mass[..., None] > 0, _bin_means(assign, lab, b * clusters).reshape(b, clusters, 3),
                       centers)
        converged = np.allclose(new, centers)
        centers = new
        if converged:
            break
    return centers, mass / n


def _bin_means(bins: np.ndarray, values: np.ndarray, length: int) -> np.ndarray:
    """Mean of the (B, N, 3) `values` falling in each of `length` flat bins (0 where a bin is empty)."""
    counts = np.maximum(np.bincount(bins, minlength=length), 1)
    flat = values.reshape(-1, 3)
    return np.stack([np.bincount(bins, weights=flat[:, c], minlength=length) / counts for c in range(3)], axis=-1)

"""The one way every image metric prepares a (reference, candidate) pair.

Steps, applied identically to both images of a pair:

1. Colour: RGBA / LA / palette-with-transparency images are alpha-composited onto the render
   background (default white, the renderer's page colour); every other mode (grayscale, palette,
   16-bit, CMYK, ...) is converted to 8-bit RGB.
2. Common canvas: both are padded with the background to the pair's largest width and largest height,
   anchored top-left (the renderer crops screenshots to the widget's box from the top-left corner, so
   top-left anchoring keeps corresponding pixels aligned; a missing row or column then shows up as a
   band of background on one side instead of being stretched away).
3. Working size: the canvas is resized (bilinear, antialiased) so that its longer side is `size`,
   keeping the aspect ratio, and placed top-left on a `size` x `size` square of background so that
   pairs of different shapes stack into one batch. `valid` marks the pixels of the canvas; metrics
   average over those only, so the square's filler never inflates a score.

Identical inputs give identical arrays (the pipeline is deterministic), so every metric can return
exactly 1.0 for them. A 1 x 1 image becomes a flat `size` x `size` canvas.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageColor


class ImageInputError(ValueError):
    """An input that cannot be turned into an RGB picture (wrong type, zero size, bad colour)."""


def parse_color(color: str | Sequence[int]) -> tuple[int, int, int]:
    """A CSS-like colour ('#ffffff', 'white', 'rgb(0,0,0)') or an (r, g, b) triple -> 8-bit RGB."""
    if isinstance(color, str):
        try:
            rgb = ImageColor.getrgb(color)
        except ValueError as exc:
            raise ImageInputError(f"background colour {color!r} is not a colour PIL understands") from exc
        return int(rgb[0]), int(rgb[1]), int(rgb[2])
    values = tuple(int(v) for v in color)
    if len(values) != 3 or not all(0 <= v <= 255 for v in values):
        raise ImageInputError(f"background colour {color!r} must be three integers in [0, 255]")
    return values[0], values[1], values[2]


def to_rgb(image: Image.Image, background: tuple[int, int, int] = (255, 255, 255)) -> Image.Image:
    """An 8-bit RGB copy of `image`, with any transparency composited onto `background`."""
    if not isinstance(image, Image.Image):
        raise ImageInputError(f"expected a PIL image, got {type(image).__name__}")
    if image.width < 1 or image.height < 1:
        raise ImageInputError(f"image has zero size ({image.width}x{image.height})")
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        # PIL's convert("RGB") clips these 16-bit/float modes at 255; rescale to 8 bits instead.
        arr = np.asarray(image, dtype=np.float64)
        top = 1.0 if image.mode == "F" and arr.max(initial=0.0) <= 1.0 else 65535.0
        arr8 = np.clip(np.rint(arr / top * 255.0), 0, 255).astype(np.uint8)
        return Image.fromarray(arr8, mode="L").convert("RGB")
    has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        image.mode == "P" and "transparency" in image.info)
    if has_alpha:
        rgba = image.convert("RGBA")
        base = Image.new("RGBA", rgba.size, (*background, 255))
        return Image.alpha_composite(base, rgba).convert("RGB")
    return image.convert("RGB")


@dataclass(frozen=True)
class PairBatch:
    """A batch of prepared pairs: float32 arrays in [0, 1], all `size` x `size`."""

    reference: np.ndarray  # (B, S, S, 3)
    candidate: np.ndarray  # (B, S, S, 3)
    valid: np.ndarray  # (B, S, S) bool: inside the pair's common canvas
    background: np.ndarray  # (3,) float32 in [0, 1]
    #: Pairs with equal entries share a prepared reference (same image, same canvas); None: unknown.
    reference_index: tuple[int, ...] | None = None

    def __len__(self) -> int:
        return int(self.reference.shape[0])

    @property
    def size(self) -> int:
        return int(self.reference.shape[1])


def _place(image: Image.Image, width: int, height: int, size: int, background: tuple[int, int, int]
           ) -> tuple[np.ndarray, np.ndarray]:
    """An RGB image padded top-left to `width` x `height`, scaled to fit `size`, on a `size` square."""
    scale = size / max(width, height)
    out_w, out_h = max(1, min(size, round(width * scale))), max(1, min(size, round(height * scale)))
    canvas = Image.new("RGB", (width, height), background)
    canvas.paste(image, (0, 0))
    if (out_w, out_h) != (width, height):
        canvas = canvas.resize((out_w, out_h), Image.Resampling.BILINEAR)
    square = np.empty((size, size, 3), dtype=np.uint8)
    square[...] = background
    square[:out_h, :out_w] = np.asarray(canvas)
    valid = np.zeros((size, size), dtype=bool)
    valid[:out_h, :out_w] = True
    return square, valid


def prepare_pairs(references: Sequence[Image.Image], candidates: Sequence[Image.Image], size: int = 256,
                  background: str | Sequence[int] = "#ffffff") -> PairBatch:
    """Prepare `references[i]` with `candidates[i]` for every i and stack them into one batch.

    A reference object repeated across pairs (a GRPO group) is converted once, and placed once per
    distinct canvas size.
    """
    if len(references) != len(candidates):
        raise ImageInputError(f"{len(references)} references for {len(candidates)} candidates: "
                              "pass one reference per candidate")
    if size < 8:
        raise ImageInputError(f"working size must be at least 8 px, got {size}")
    bg = parse_color(background)
    rgb_refs: dict[int, Image.Image] = {}
    placed_refs: dict[tuple[int, int, int], np.ndarray] = {}
    ref_keys: dict[tuple[int, int, int], int] = {}
    ref_index: list[int] = []
    refs, cands, valids = [], [], []
    for reference, candidate in zip(references, candidates, strict=True):
        if id(reference) not in rgb_refs:  # ids are stable: `references` keeps every object alive
            rgb_refs[id(reference)] = to_rgb(reference, bg)
        ref = rgb_refs[id(reference)]
        cand = to_rgb(candidate, bg)
        width, height = max(ref.width, cand.width), max(ref.height, cand.height)
        key = (id(reference), width, height)
        if key not in placed_refs:
            placed_refs[key] = _place(ref, width, height, size, bg)[0]
            ref_keys[key] = len(ref_keys)
        placed, valid = _place(cand, width, height, size, bg)
        refs.append(placed_refs[key])
        ref_index.append(ref_keys[key])
        cands.append(placed)
        valids.append(valid)
    shape = (0, size, size)
    return PairBatch(
        reference=_unit_float(refs, shape),
        candidate=_unit_float(cands, shape),
        valid=np.stack(valids) if valids else np.zeros(shape, bool),
        background=np.asarray(bg, dtype=np.float32) / 255.0,
        reference_index=tuple(ref_index),
    )


def _unit_float(arrays: list[np.ndarray], empty_shape: tuple[int, int, int]) -> np.ndarray:
    stacked = np.stack(arrays) if arrays else np.zeros((*empty_shape, 3), np.uint8)
    return stacked.astype(np.float32) * np.float32(1 / 255)


def pad_to_square(image: Image.Image, background: tuple[int, int, int] = (255, 255, 255)) -> Image.Image:
    """`image` (as RGB) centred on a square of background, so a centre crop keeps the whole widget."""
    rgb = to_rgb(image, background)
    side = max(rgb.size)
    if rgb.width == rgb.height:
        return rgb
    square = Image.new("RGB", (side, side), background)
    square.paste(rgb, ((side - rgb.width) // 2, (side - rgb.height) // 2))
    return square

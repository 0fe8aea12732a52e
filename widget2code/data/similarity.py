"""SSIM between a reference screenshot and a render, the measure render-verify and collection keep."""

from __future__ import annotations

import numpy as np
from PIL import Image
from skimage.metrics import structural_similarity


def common_size(reference: Image.Image, max_side: int) -> tuple[int, int]:
    """The reference's size scaled down (never up) so that its longer side is at most `max_side`."""
    if max_side <= 0:
        raise ValueError(f"max_side must be positive, got {max_side}")
    width, height = reference.size
    scale = min(1.0, max_side / max(width, height))
    return max(7, round(width * scale)), max(7, round(height * scale))  # SSIM's window needs >= 7 px


def ssim(reference: Image.Image, candidate: Image.Image, max_side: int = 256) -> float:
    """SSIM of `candidate` against `reference` after resizing both to one common size.

    The size follows the reference, so a render with the wrong aspect ratio is stretched and scores
    low, as it should. Gaussian-weighted SSIM as in Wang et al. (2004), averaged over RGB channels.
    """
    size = common_size(reference, max_side)
    a = np.asarray(_flat_rgb(reference).resize(size, Image.Resampling.BILINEAR), dtype=np.float32)
    b = np.asarray(_flat_rgb(candidate).resize(size, Image.Resampling.BILINEAR), dtype=np.float32)
    score = structural_similarity(a, b, channel_axis=-1, data_range=255.0, gaussian_weights=True, sigma=1.5,
                                  use_sample_covariance=False)
    return float(score)


def _flat_rgb(image: Image.Image, background: tuple[int, int, int] = (255, 255, 255)) -> Image.Image:
    """RGB with any transparency composited onto white, the renderer's default page background."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, background)
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image.convert("RGB")

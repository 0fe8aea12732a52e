"""SSIM between a reference screenshot and a render: what render-verify and collection keep.

It is the programmatic reward's SSIM (`widget2code.rewards.metrics.ssim`) on the pair prepared the
rewards' one way (`widget2code.rewards.images.prepare_pairs`), so "verified at SSIM ≥ 0.85" means the
same thing as the SSIM component that GRPO optimises.
"""

from __future__ import annotations

from PIL import Image

from widget2code.rewards.images import prepare_pairs
from widget2code.rewards.metrics import ssim as batched_ssim


def ssim(reference: Image.Image, candidate: Image.Image, max_side: int = 256, background: str = "#ffffff") -> float:
    """SSIM of `candidate` against `reference`, both placed on one canvas whose longer side is `max_side`."""
    if max_side < 8:
        raise ValueError(f"max_side must be at least 8 px, got {max_side}")
    return float(batched_ssim(prepare_pairs([reference], [candidate], max_side, background))[0])

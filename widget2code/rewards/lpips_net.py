"""LPIPS (the `lpips` package) with an explicit, offline-friendly way to get its backbone weights.

The `lpips` wheel ships only the small linear heads; the backbone (AlexNet, VGG16 or SqueezeNet 1.1)
is torchvision's ImageNet checkpoint, which torchvision downloads on first use. Here the network is
always built without that download (`pnet_rand=True`), then the backbone is loaded from:

1. `backbone_weights` (a path to the torchvision checkpoint file), if given; else
2. torchvision's own cache: `torch.hub.get_dir()/checkpoints/<file name of the download URL>`.

When neither exists, `LpipsWeightsMissing` says which file to put where, unless `allow_random_backbone`
is set (tests, CPU demos): then the backbone keeps random weights and a warning says so.
"""

from __future__ import annotations

import logging
import os
import warnings
from pathlib import Path
from urllib.parse import urlparse

import lpips
import numpy as np
import torch
import torch.nn.functional as F

from widget2code.rewards.images import PairBatch
from widget2code.rewards.metrics import unique_references

log = logging.getLogger(__name__)

#: lpips' `net` name -> the torchvision weights enum whose checkpoint its backbone uses.
_TORCHVISION_WEIGHTS = {"alex": "AlexNet_Weights", "vgg": "VGG16_Weights", "squeeze": "SqueezeNet1_1_Weights"}


class LpipsWeightsMissing(FileNotFoundError):
    """The LPIPS backbone checkpoint is not on disk (and random weights were not allowed)."""


def backbone_url(net: str) -> str:
    """The torchvision download URL of the backbone checkpoint for lpips' `net`."""
    if net not in _TORCHVISION_WEIGHTS:
        raise ValueError(f"lpips net must be one of {sorted(_TORCHVISION_WEIGHTS)}, got {net!r}")
    import torchvision.models as tvm

    return getattr(tvm, _TORCHVISION_WEIGHTS[net]).IMAGENET1K_V1.url


def default_backbone_path(net: str) -> Path:
    """Where torchvision would cache the checkpoint: torch.hub.get_dir()/checkpoints/<file name>."""
    return Path(torch.hub.get_dir()) / "checkpoints" / Path(urlparse(backbone_url(net)).path).name


def load_lpips(net: str = "alex", backbone_weights: str | os.PathLike[str] | None = None,
               allow_random_backbone: bool = False, device: str | torch.device = "cpu") -> lpips.LPIPS:
    """An eval-mode `lpips.LPIPS` with the linear heads from the package and the backbone from disk, on
    `device` (give an indexed one, e.g. the rank's `cuda:1`: GRPO loads it on its scoring thread, where
    a bare "cuda" means cuda:0)."""
    url = backbone_url(net)
    path = Path(backbone_weights).expanduser() if backbone_weights else default_backbone_path(net)
    with warnings.catch_warnings(), torch.random.fork_rng(devices=[]):
        # lpips calls torchvision's deprecated `pretrained=` argument; the fixed seed makes a random
        # backbone (tests, demos) the same in every process, so its scores are reproducible.
        warnings.simplefilter("ignore", UserWarning)
        torch.manual_seed(0)
        model = lpips.LPIPS(net=net, pnet_rand=True, verbose=False)
    if path.is_file():
        _load_backbone(model, path)
    elif allow_random_backbone:
        log.warning("LPIPS: backbone weights %s not found; using a RANDOM %s backbone "
                    "(allow_random_backbone=true) — scores are not perceptual distances", path, net)
    else:
        where = (f"the file given as backbone_weights ({path})" if backbone_weights
                 else f"{path.name} into {path.parent}/ (torch.hub.get_dir()/checkpoints)")
        raise LpipsWeightsMissing(
            f"LPIPS needs the torchvision {net} backbone checkpoint, which is not on disk. Download {url} "
            f"and put {where}, or set backbone_weights to its path. (Set allow_random_backbone=true only "
            "for tests: the distances are then meaningless.)")
    return model.to(device).eval()


def _load_backbone(model: lpips.LPIPS, path: Path) -> None:
    """Copy torchvision's `features.<i>.*` tensors into lpips' slices (which keep the index `<i>`)."""
    state = torch.load(path, map_location="cpu", weights_only=True)
    mapped = {}
    for name in model.net.state_dict():
        _slice, index, param = name.split(".", 2)  # e.g. slice1.0.weight
        key = f"features.{index}.{param}"
        if key not in state:
            raise LpipsWeightsMissing(f"{path} is not a torchvision {model.pnet_type} checkpoint: no {key}")
        mapped[name] = state[key]
    model.net.load_state_dict(mapped)


@torch.no_grad()
def lpips_similarity(model: lpips.LPIPS, batch: PairBatch, max_size: int | None = 256) -> np.ndarray:
    """1 - LPIPS distance over the valid pixels, clipped to [0, 1], one value per pair.

    lpips' own forward pass, re-done with its modules (scaling layer, backbone, unit-normalised
    features, linear heads) for two reasons: each distinct reference goes through the backbone once
    (a GRPO group repeats one reference for all its candidates), and each layer's distance map is
    averaged over the valid pixels only (the mask resized to that layer's grid; with a full mask this
    is exactly lpips' spatial average). Pairs larger than `max_size` are first area-averaged by the
    integer factor round(size / max_size): the network and its heads were calibrated on 64 px patches,
    and the backbone's cost grows with the pixel count (about 4x from 256 to 512 px).
    """
    device = next(model.parameters()).device
    factor = 1 if max_size is None else max(1, round(batch.size / max_size))
    first, ref_index = unique_references(batch)  # features do not depend on `valid`
    refs = batch.reference[first]

    def tensor(images: np.ndarray) -> torch.Tensor:
        x = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2).to(device)
        return F.avg_pool2d(x, factor) if factor > 1 else x

    def features(x: torch.Tensor) -> list[torch.Tensor]:
        return [lpips.normalize_tensor(f) for f in model.net(model.scaling_layer(x * 2 - 1))]

    valid = tensor(batch.valid[..., None].astype(np.float32))  # (B, 1, H, W) in [0, 1]
    index = torch.as_tensor(ref_index, device=device)
    dist = torch.zeros(len(batch), dtype=torch.float64, device=device)
    for lin, rf, cf in zip(model.lins, features(tensor(refs)), features(tensor(batch.candidate)), strict=True):
        layer = lin((rf[index] - cf) ** 2)[:, 0]  # (B, h, w)
        weight = F.interpolate(valid, size=layer.shape[-2:], mode="area")[:, 0]
        dist += ((layer * weight).flatten(1).sum(1) / weight.flatten(1).sum(1).clamp(min=1e-6)).double()
    return np.clip(np.nan_to_num(1.0 - dist.cpu().numpy(), nan=0.0), 0.0, 1.0)

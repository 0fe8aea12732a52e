"""CLIP image–image similarity (the Flutter-GRPO recipe's visual reward).

    reward = ClipSimilarityReward()                           # openai/clip-vit-base-patch32
    reward = ClipSimilarityReward("/models/clip-vit-l-14")    # any hub id or local directory
    reward = ClipSimilarityReward(tiny_random=True)           # tiny random CLIPModel: tests, CPU demo

Both images are padded to a square with the render background first (CLIP's processor centre-crops,
which would cut the sides off a wide widget), embedded with `CLIPModel.get_image_features`, and
compared by cosine similarity. The reward is max(0, cos): CLIP image embeddings of unrelated pictures
still have cosines well above 0, so (cos + 1) / 2 would squeeze every score into the top half, while a
negative cosine already means "nothing alike". Reference embeddings are cached (LRU, keyed by a hash
of the image's pixels), since a GRPO group repeats one reference for all its candidates.
"""

from __future__ import annotations

import hashlib
import logging
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import torch
from PIL import Image

from widget2code.rewards.base import Candidate, Reward, RewardOutput, clamp01, renderable
from widget2code.rewards.devices import resolve_device
from widget2code.rewards.images import pad_to_square, parse_color

log = logging.getLogger(__name__)

DEFAULT_CLIP = "openai/clip-vit-base-patch32"


class ClipModelUnavailable(OSError):
    """The CLIP weights could not be loaded (not downloaded, offline, or not a CLIP checkpoint)."""


def tiny_random_clip(seed: int = 0, image_size: int = 32) -> tuple[torch.nn.Module, object]:
    """A ~0.1M-parameter randomly initialised `CLIPModel` and a matching `CLIPImageProcessor`.

    For tests and CPU demos: same code path as a real checkpoint, meaningless similarities.
    """
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel

    config = CLIPConfig(
        text_config={"vocab_size": 64, "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 1,
                     "num_attention_heads": 2, "max_position_embeddings": 16, "bos_token_id": 0,
                     "eos_token_id": 1, "pad_token_id": 1},
        vision_config={"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
                       "num_attention_heads": 2, "image_size": image_size, "patch_size": 8},
        projection_dim=16,
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = CLIPModel(config)
    processor = CLIPImageProcessor(size={"shortest_edge": image_size},
                                   crop_size={"height": image_size, "width": image_size})
    return model.eval(), processor


class ClipSimilarityReward(Reward):
    """max(0, cosine) between CLIP image embeddings of the reference and the candidate.

    Args:
        model_name_or_path: hub id or local directory of a CLIP checkpoint (ignored with tiny_random).
        tiny_random: build `tiny_random_clip()` instead of loading weights (tests, CPU demos).
        background: render background, used to pad images to a square.
        batch_size: images per forward pass.
        cache_size: reference embeddings kept (least recently used are dropped).
        device: torch device (None: CUDA if available). A training module sets its rank's device
            (`devices.place_rewards`) before the first score, since scoring may run on another thread.
        local_files_only: never contact the hub (set HF_HUB_OFFLINE=1 for the same effect everywhere).
    """

    name = "clip"

    def __init__(self, model_name_or_path: str | None = DEFAULT_CLIP, tiny_random: bool = False,
                 background: str = "#ffffff", batch_size: int = 32, cache_size: int = 256,
                 device: str | None = None, local_files_only: bool = False) -> None:
        if not tiny_random and not model_name_or_path:
            raise ValueError("ClipSimilarityReward needs model_name_or_path (a hub id or local path) "
                             "unless tiny_random=True")
        if batch_size < 1 or cache_size < 0:
            raise ValueError(f"batch_size must be >= 1 and cache_size >= 0, got {batch_size}, {cache_size}")
        self.model_name_or_path = model_name_or_path
        self.tiny_random = tiny_random
        self.background = background
        self._background_rgb = parse_color(background)
        self.batch_size = batch_size
        self.cache_size = cache_size
        self.device = device
        self.local_files_only = local_files_only
        self._model: torch.nn.Module | None = None
        self._processor: object | None = None
        self._cache: OrderedDict[str, torch.Tensor] = OrderedDict()

    def __getstate__(self) -> dict[str, object]:
        state = self.__dict__.copy()
        state.update(_model=None, _processor=None, _cache=OrderedDict())  # reloaded lazily after unpickling
        return state

    def _load(self) -> tuple[torch.nn.Module, object]:
        if self._model is None:
            if self.tiny_random:
                log.warning("CLIP reward: using a tiny RANDOM CLIPModel (tiny_random=true); "
                            "similarities are meaningless")
                model, processor = tiny_random_clip()
            else:
                model, processor = self._from_pretrained()
            self._model = model.to(resolve_device(self.device)).eval()
            self._processor = processor
        return self._model, self._processor

    def _from_pretrained(self) -> tuple[torch.nn.Module, object]:
        from transformers import CLIPImageProcessor, CLIPModel

        source = self.model_name_or_path
        try:
            model = CLIPModel.from_pretrained(source, local_files_only=self.local_files_only)
            processor = CLIPImageProcessor.from_pretrained(source, local_files_only=self.local_files_only)
        except (OSError, ValueError) as exc:  # missing files / offline (OSError), bad repo id (ValueError)
            looks_local = str(source).startswith(("/", ".", "~")) or Path(str(source)).expanduser().exists()
            fix = ("point model_name_or_path at a directory holding config.json, the weights and "
                   "preprocessor_config.json (CLIPModel.save_pretrained + CLIPImageProcessor.save_pretrained)"
                   if looks_local else
                   f"download it while online (`hf download {source}`) so it is in the Hugging Face cache, "
                   "or set model_name_or_path to a local directory with the checkpoint")
            raise ClipModelUnavailable(f"could not load the CLIP model {source!r} ({exc}); {fix}") from exc
        return model, processor

    @torch.no_grad()
    def embed(self, images: Sequence[Image.Image]) -> torch.Tensor:
        """Unit-length CLIP image embeddings, (N, D) float32 on the CPU."""
        model, processor = self._load()
        device = next(model.parameters()).device
        chunks = []
        for start in range(0, len(images), self.batch_size):
            squares = [pad_to_square(img, self._background_rgb) for img in images[start:start + self.batch_size]]
            pixels = processor(images=squares, return_tensors="pt")["pixel_values"].to(device)
            out = model.get_image_features(pixel_values=pixels)
            # transformers < 5 returns the projected tensor; 5.x an output object holding it as pooler_output.
            feats = out if isinstance(out, torch.Tensor) else out.pooler_output
            chunks.append(torch.nn.functional.normalize(feats.float(), dim=-1).cpu())
        return torch.cat(chunks) if chunks else torch.zeros(0, 0)

    def _reference_embeddings(self, references: Sequence[Image.Image]) -> torch.Tensor:
        keys = [_image_key(ref) for ref in references]
        missing = {k: ref for k, ref in zip(keys, references, strict=True) if k not in self._cache}
        fresh = dict(zip(missing, self.embed(list(missing.values())), strict=True)) if missing else {}
        rows = []
        for key in keys:
            if key in fresh:
                rows.append(fresh[key])
            else:
                rows.append(self._cache[key])
                self._cache.move_to_end(key)
        for key, emb in fresh.items():
            self._cache[key] = emb
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)
        return torch.stack(rows)

    def score(self, references: Sequence[Image.Image], candidates: Sequence[Candidate],
              **context: object) -> RewardOutput:
        split = renderable(references, candidates)
        errors = split.errors
        cosine = [0.0] * len(candidates)
        if split.indices:
            sims = (self._reference_embeddings(split.references) * self.embed(split.images)).sum(-1)
            for i, sim in zip(split.indices, sims.tolist(), strict=True):
                cosine[i] = sim
        totals = [clamp01(c) if errors[i] is None else 0.0 for i, c in enumerate(cosine)]
        return RewardOutput(total=totals, components={"clip_cosine": cosine}, errors=errors)


def _image_key(image: Image.Image) -> str:
    """A hash of the pixels (and mode and size), so equal pictures share a cache entry."""
    digest = hashlib.blake2b(digest_size=16)
    digest.update(f"{image.mode}:{image.size}".encode())
    digest.update(image.tobytes())
    return digest.hexdigest()

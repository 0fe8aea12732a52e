"""A model ready to generate, from a Hydra model config (`conf/model/*.yaml`).

The config builds the model (a hub id or a local directory through `load_pretrained`, or a tiny
model from a dataset) and may name a saved adapter (`adapter_path`); the adapters layer applies it
and puts the model in eval mode.
"""

from __future__ import annotations

from typing import Any

from hydra.utils import instantiate

from widget2code.models.adapters import load_for_inference
from widget2code.models.factory import LoadedModel, ModelLoadError


def load_model(model_config: Any, merge_adapter: bool = False) -> LoadedModel:
    """Instantiate `model_config`, then apply its `adapter_path` (folded into the weights with
    `merge_adapter`, which speeds up generation; not for 4-bit bases)."""
    loaded = instantiate(model_config, _convert_="all")
    if not isinstance(loaded, LoadedModel):
        raise ModelLoadError(f"the model config built a {type(loaded).__name__}, not a LoadedModel: "
                             f"its _target_ ({model_config.get('_target_')}) must return LoadedModel")
    return load_for_inference(loaded, merge=merge_adapter)

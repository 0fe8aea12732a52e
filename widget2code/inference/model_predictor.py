"""A local model (bare or with adapters) as the predictor: single shot, best-of-N or polish.

First answers use the training prompt (`models.chat.build_prompt`) after the data module's image
policy; polish revisions are one user turn holding two images (the target and the current
rendering) and the current code, which both model families' processors accept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import torch
from PIL import Image
from transformers import PreTrainedModel, ProcessorMixin

from widget2code.inference.generate import (
    PER_TOKEN,
    SamplingConfig,
    generate_rollout,
    generate_texts,
    group_texts,
    prepare_images,
)
from widget2code.inference.polish import revision_parts
from widget2code.inference.predictor import Revision
from widget2code.inference.search import Mode, SearchPredictor
from widget2code.models.chat import collate
from widget2code.render import Renderer
from widget2code.rewards.base import Reward
from widget2code.task import SYSTEM_PROMPT


class ModelProposer:
    def __init__(self, model: PreTrainedModel, processor: ProcessorMixin, sampling: SamplingConfig,
                 image_size: int | None = None, pad_color: str | None = None) -> None:
        self.model, self.processor, self.sampling = model, processor, sampling
        self.image_size, self.pad_color = image_size, pad_color

    def _sampling(self, n: int) -> SamplingConfig:
        # Several candidates are always sampled: n greedy answers would be n copies of one.
        return replace(self.sampling, num_return_sequences=n, do_sample=self.sampling.do_sample or n > 1)

    def propose(self, images: Sequence[Image.Image], n: int) -> list[list[str]]:
        return generate_texts(self.model, self.processor, images, self._sampling(n), self.image_size, self.pad_color)

    def revision_inputs(self, requests: Sequence[Revision]) -> dict[str, torch.Tensor]:
        """Left-padded prompts of polish requests: the system prompt, then one user turn with two images."""
        examples = []
        for request in requests:
            parts = revision_parts(request)
            content = [{"type": "text", "text": part} if isinstance(part, str) else {"type": "image"} for part in parts]
            messages = [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": content}]
            text = self.processor.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
            images = prepare_images([p for p in parts if isinstance(p, Image.Image)], self.image_size, self.pad_color)
            encoded = self.processor(text=[text], images=images, return_tensors="pt")
            examples.append({key: value[0] if key in PER_TOKEN else value for key, value in encoded.items()})
        return collate(examples, self.processor.tokenizer.pad_token_id, padding_side="left")

    def revise(self, requests: Sequence[Revision], n: int) -> list[list[str]]:
        inputs = self.revision_inputs(requests)
        return group_texts(generate_rollout(self.model, self.processor, inputs, self._sampling(n)))


class ModelPredictor(SearchPredictor):
    """A loaded model + processor as a `Predictor` (see `widget2code.inference.search` for the modes).

    `sampling` (default: greedy, 512 new tokens) sets how one answer is drawn; when `n` > 1 the
    candidates and revisions are sampled with its temperature and top_p whatever its `do_sample`.
    `image_size` / `pad_color` must be the data module's values the model was trained with.
    """

    def __init__(self, model: PreTrainedModel, processor: ProcessorMixin, renderer: Renderer | None = None,
                 reward: Reward | None = None, mode: Mode = "single", n: int = 1, rounds: int = 3,
                 sampling: SamplingConfig | None = None, image_size: int | None = None,
                 pad_color: str | None = None, name: str = "model") -> None:
        super().__init__(ModelProposer(model, processor, sampling or SamplingConfig(do_sample=False), image_size, pad_color), renderer, reward,
                         mode=mode, n=n, rounds=rounds, name=name)

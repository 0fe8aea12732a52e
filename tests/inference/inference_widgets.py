"""Known widgets and answers for the inference tests, and `script_model`, which makes a real tiny
model answer them.

`script_model` sets a real tiny model's LM head, by least squares on its own final hidden states, so
that greedy decoding from given prompts writes given completions and then the end token. Its answers
are then known in advance (the first answer is a poor widget, the polish revision the right one),
which makes best-of-N and polish checkable with a real model, a real renderer and a real reward.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from widget2code.inference.generate import Inputs
from widget2code.models.factory import LoadedModel
from widget2code.task import SYSTEM_PROMPT, USER_PROMPT, format_completion

GOOD = ('export default function Clock() {\n  return <div className="rounded-xl bg-[#1e293b] p-6 text-3xl '
        'text-white">10:42</div>;\n}')
POOR = ('export default function Clock() {\n  return <div className="rounded-xl bg-[#fef3c7] p-2 text-sm '
        'text-black">10:42</div>;\n}')
GOOD_ANSWER = format_completion("A dark card with the time.", GOOD)
POOR_ANSWER = format_completion("A card with the time.", POOR)
CORPUS = [SYSTEM_PROMPT, USER_PROMPT, GOOD_ANSWER, POOR_ANSWER]
IMAGE_SIZE = 112


def script_model(loaded: LoadedModel, lessons: Sequence[tuple[Inputs, str]], margin: float = 30.0) -> None:
    """Make greedy decoding from each lesson's prompt inputs (batch of one) write its completion + end token."""
    model, tokenizer = loaded.model, loaded.processor.tokenizer
    features, targets = [], []
    for inputs, completion in lessons:
        ids = tokenizer(completion + tokenizer.eos_token, add_special_tokens=False, return_tensors="pt").input_ids
        prompt_length = inputs["input_ids"].shape[1]
        full = {**inputs, "input_ids": torch.cat([inputs["input_ids"], ids], dim=1),
                "attention_mask": torch.cat([inputs["attention_mask"], torch.ones_like(ids)], dim=1),
                "mm_token_type_ids": torch.cat([inputs["mm_token_type_ids"], torch.zeros_like(ids)], dim=1)}
        with torch.no_grad():
            hidden = model(**full, output_hidden_states=True).hidden_states[-1][0]
        features.append(hidden[prompt_length - 1:-1])
        targets.append(ids[0])
    h, y = torch.cat(features), torch.cat(targets)
    assert h.shape[0] < h.shape[1], "more answer tokens than hidden units: the fit would not be exact"
    wanted = torch.zeros(len(y), model.lm_head.weight.shape[0])
    wanted[torch.arange(len(y)), y] = margin
    weight = torch.linalg.lstsq(h, wanted).solution.T.contiguous()
    model.lm_head.weight = torch.nn.Parameter(weight)

"""A small byte-level BPE tokenizer that speaks a real model family's chat format.

Real weights (and their 150k-token vocabularies) cannot be downloaded here, so tests and the CPU demo
train a tiny tokenizer on the dataset's own text. It carries the family's real special tokens and a
chat template close to the real one, so prompts, image placeholders and label masking look exactly
as they will with the real GLM-4.1V or Qwen3-VL tokenizer; only the ids differ.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast

from widget2code.files import atomic_directory

Family = Literal["glm4v", "qwen3vl"]
FAMILIES: tuple[str, ...] = ("glm4v", "qwen3vl")

#: The output format's tags (see prompts.format_completion). Not special: decoding with
#: skip_special_tokens=True must keep them, since the parser needs them.
FORMAT_TOKENS = ("<think>", "</think>", "<code>", "</code>")

# Templates are single-line Jinja with explicit '\n': Hugging Face renders templates with trim_blocks
# and lstrip_blocks, and a `{%-` right after a literal newline silently eats it.
_GLM4V_TEMPLATE = (
    "[gMASK]<sop>"
    "{%- for msg in messages %}"
    "{%- if msg.role == 'system' %}<|system|>{{ '\\n' }}"
    "{%- elif msg.role == 'user' %}<|user|>{{ '\\n' }}"
    "{%- elif msg.role == 'assistant' %}<|assistant|>{{ '\\n' }}"
    "{%- endif %}"
    "{%- if msg.content is string %}{{ msg.content }}"
    "{%- else %}{%- for item in msg.content %}"
    "{%- if item.type == 'image' or 'image' in item %}<|begin_of_image|><|image|><|end_of_image|>"
    "{%- elif item.type == 'video' or 'video' in item %}<|begin_of_video|><|video|><|end_of_video|>"
    "{%- elif item.type == 'text' %}{{ item.text }}"
    "{%- endif %}{%- endfor %}{%- endif %}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}<|assistant|>{{ '\\n' }}{%- endif %}"
)
_QWEN3VL_TEMPLATE = (
    "{%- for msg in messages %}"
    "<|im_start|>{{ msg.role }}{{ '\\n' }}"
    "{%- if msg.content is string %}{{ msg.content }}"
    "{%- else %}{%- for item in msg.content %}"
    "{%- if item.type == 'image' or 'image' in item %}<|vision_start|><|image_pad|><|vision_end|>"
    "{%- elif item.type == 'video' or 'video' in item %}<|vision_start|><|video_pad|><|vision_end|>"
    "{%- elif item.type == 'text' %}{{ item.text }}"
    "{%- endif %}{%- endfor %}{%- endif %}"
    "<|im_end|>{{ '\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}<|im_start|>assistant{{ '\\n' }}{%- endif %}"
)


@dataclass(frozen=True)
class FamilyTokens:
    special: tuple[str, ...]  # control tokens, in id order from 0
    eos: str  # ends an assistant turn; the SFT target ends with it
    pad: str
    image: str
    video: str
    chat_template: str


FAMILY_TOKENS: dict[str, FamilyTokens] = {
    "glm4v": FamilyTokens(
        special=(
            "<|endoftext|>", "[MASK]", "[gMASK]", "[sMASK]", "<sop>", "<eop>",
            "<|system|>", "<|user|>", "<|assistant|>", "<|observation|>",
            "<|begin_of_image|>", "<|end_of_image|>", "<|begin_of_video|>", "<|end_of_video|>",
            "<|image|>", "<|video|>",
        ),
        eos="<|endoftext|>",
        pad="<|endoftext|>",
        image="<|image|>",
        video="<|video|>",
        chat_template=_GLM4V_TEMPLATE,
    ),
    "qwen3vl": FamilyTokens(
        special=(
            "<|endoftext|>", "<|im_start|>", "<|im_end|>",
            "<|vision_start|>", "<|vision_end|>", "<|vision_pad|>", "<|image_pad|>", "<|video_pad|>",
        ),
        eos="<|im_end|>",
        pad="<|endoftext|>",
        image="<|image_pad|>",
        video="<|video_pad|>",
        chat_template=_QWEN3VL_TEMPLATE,
    ),
}  # fmt: skip


class TokenizerError(ValueError):
    """Bad arguments for training a tokenizer (unknown family, empty corpus, tiny vocabulary)."""


def family_tokens(family: str) -> FamilyTokens:
    if family not in FAMILY_TOKENS:
        raise TokenizerError(f"unknown model family {family!r}; expected one of {', '.join(FAMILIES)}")
    return FAMILY_TOKENS[family]


def train_tokenizer(corpus: Iterable[str], family: Family, vocab_size: int = 1024) -> PreTrainedTokenizerFast:
    """Train a byte-level BPE on `corpus` and dress it as the `family`'s tokenizer.

    Control tokens get the lowest ids (0, 1, ...), then the 256 byte symbols, then merges; the four
    format tags are added last as single, non-special tokens. Byte-level means any text encodes,
    including characters the corpus never showed.
    """
    spec = family_tokens(family)
    minimum = len(spec.special) + 256 + 1
    if vocab_size < minimum:
        raise TokenizerError(f"vocab_size={vocab_size} is too small for {family}: need at least {minimum}")
    texts = [text for text in corpus if text]
    if not texts:
        raise TokenizerError("the tokenizer corpus is empty: give at least one non-empty text")

    backend = Tokenizer(models.BPE())
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=list(spec.special),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    backend.train_from_iterator(texts, trainer=trainer)
    backend.add_tokens([AddedToken(tag, special=False, normalized=False) for tag in FORMAT_TOKENS])
    return PreTrainedTokenizerFast(
        tokenizer_object=backend,
        eos_token=spec.eos,
        pad_token=spec.pad,
        extra_special_tokens={"image_token": spec.image, "video_token": spec.video},
        chat_template=spec.chat_template,
        padding_side="right",
        model_max_length=1 << 20,
    )


def cached_tokenizer(
    corpus: Iterable[str], family: Family, vocab_size: int, cache_dir: str | os.PathLike[str]
) -> PreTrainedTokenizerFast:
    """`train_tokenizer`, memoised on disk under `cache_dir/<family>-<vocab>-<corpus hash>`.

    The key covers the corpus text, so a changed dataset trains a fresh tokenizer. The directory is
    written under a temporary name and renamed into place, so a crash never leaves half a tokenizer.
    """
    texts = [text for text in corpus if text]
    digest = hashlib.sha256(json.dumps([family, vocab_size, texts]).encode("utf-8")).hexdigest()[:16]
    target = Path(cache_dir) / f"{family}-{vocab_size}-{digest}"
    if (target / "tokenizer.json").is_file():
        return PreTrainedTokenizerFast.from_pretrained(str(target))
    tokenizer = train_tokenizer(texts, family, vocab_size)
    with atomic_directory(target) as tmp:  # a concurrent writer that wins the race is kept
        tokenizer.save_pretrained(str(tmp))
    return tokenizer

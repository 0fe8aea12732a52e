from __future__ import annotations

import pytest
from transformers import AutoTokenizer

from widget2code.models.tokenizer import (
    FAMILY_TOKENS,
    FORMAT_TOKENS,
    TokenizerError,
    cached_tokenizer,
    train_tokenizer,
)


@pytest.fixture(scope="module")
def tokenizer(family: str, corpus):
    return train_tokenizer(corpus, family, vocab_size=600)


def test_round_trip_is_lossless_even_for_unseen_characters(tokenizer, targets, widgets) -> None:
    for text in [*targets, "日本語 ✓ 🙂 \t\n  trailing  ", "<code>x</code><think>"]:
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        assert tokenizer.decode(ids) == text
    # merges were learned: a widget costs far fewer tokens than bytes
    assert len(tokenizer(widgets[0])["input_ids"]) < len(widgets[0].encode()) / 2


def test_special_and_format_tokens_are_single_ids(tokenizer, family: str) -> None:
    spec = FAMILY_TOKENS[family]
    for token in (*spec.special, *FORMAT_TOKENS):
        ids = tokenizer(f"a{token}b", add_special_tokens=False)["input_ids"]
        assert tokenizer.convert_tokens_to_ids(token) in ids
        assert len(tokenizer(token, add_special_tokens=False)["input_ids"]) == 1, token
    assert tokenizer.image_token == spec.image
    assert tokenizer.image_token_id == tokenizer.convert_tokens_to_ids(spec.image)
    assert tokenizer.pad_token == spec.pad and tokenizer.eos_token == spec.eos
    # Control tokens are special (dropped by skip_special_tokens); the format tags must survive it.
    text = f"{spec.eos}<think>plan</think><code>x</code>{spec.image}"
    decoded = tokenizer.decode(tokenizer(text)["input_ids"], skip_special_tokens=True)
    assert decoded == "<think>plan</think><code>x</code>"


def test_chat_template_renders_the_family_format(tokenizer, family: str) -> None:
    messages = [
        {"role": "system", "content": "SYS"},
        {"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "Do it."}]},
        {"role": "assistant", "content": "<think>t</think><code>c</code>"},
        {"role": "user", "content": "again"},
    ]
    rendered = tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    expected = {
        "glm4v": "[gMASK]<sop><|system|>\nSYS<|user|>\n<|begin_of_image|><|image|><|end_of_image|>Do it."
        "<|assistant|>\n<think>t</think><code>c</code><|user|>\nagain<|assistant|>\n",
        "qwen3vl": "<|im_start|>system\nSYS<|im_end|>\n<|im_start|>user\n<|vision_start|><|image_pad|><|vision_end|>"
        "Do it.<|im_end|>\n<|im_start|>assistant\n<think>t</think><code>c</code><|im_end|>\n"
        "<|im_start|>user\nagain<|im_end|>\n<|im_start|>assistant\n",
    }[family]
    assert rendered == expected
    without = tokenizer.apply_chat_template(messages[:2], tokenize=False, add_generation_prompt=False)
    assert not without.endswith("assistant|>\n") and not without.endswith("assistant\n")


def test_save_and_load_keep_everything(tokenizer, targets, tmp_path) -> None:
    tokenizer.save_pretrained(tmp_path)
    loaded = AutoTokenizer.from_pretrained(tmp_path)
    for text in targets:
        assert loaded(text)["input_ids"] == tokenizer(text)["input_ids"]
    assert loaded.chat_template == tokenizer.chat_template
    assert (loaded.image_token, loaded.image_token_id) == (tokenizer.image_token, tokenizer.image_token_id)
    assert (loaded.pad_token_id, loaded.eos_token_id) == (tokenizer.pad_token_id, tokenizer.eos_token_id)


def test_cached_tokenizer_reuses_and_invalidates(corpus, tmp_path) -> None:
    first = cached_tokenizer(corpus, "glm4v", 600, tmp_path)
    again = cached_tokenizer(corpus, "glm4v", 600, tmp_path)
    assert len(list(tmp_path.iterdir())) == 1
    assert again.get_vocab() == first.get_vocab()
    cached_tokenizer([*corpus, "a different dataset"], "glm4v", 600, tmp_path)
    assert len(list(tmp_path.iterdir())) == 2


def test_bad_arguments_are_named(corpus) -> None:
    with pytest.raises(TokenizerError, match="llama"):
        train_tokenizer(corpus, "llama", 600)  # type: ignore[arg-type]
    with pytest.raises(TokenizerError, match="empty"):
        train_tokenizer(["", ""], "qwen3vl", 600)
    with pytest.raises(TokenizerError, match="vocab_size=100"):
        train_tokenizer(corpus, "glm4v", 100)

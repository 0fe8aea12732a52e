from __future__ import annotations

import pytest

from widget2code.models.factory import LoadedModel, build_tiny_model
from widget2code.models.tokenizer import train_tokenizer
from widget2code.task import SYSTEM_PROMPT, USER_PROMPT, format_completion

WIDGETS = [
    'export default function Clock() {\n  return <div className="rounded-xl bg-[#1e293b] p-4 text-white">10:42</div>;\n}',
    "import { useState } from 'react';\nexport default function Todo() {\n"
    '  const [done] = useState(false);\n  return <ul className="flex flex-col gap-2"><li>{done ? "✓" : "Milk"}</li></ul>;\n}',
    'export default function Stat() {\n  return <div className="grid grid-cols-2 shadow-lg">Revenue €1,204</div>;\n}',
]
TARGETS = [format_completion(f"Layout: a card with {i} rows.", tsx) for i, tsx in enumerate(WIDGETS)]
CORPUS = [SYSTEM_PROMPT, USER_PROMPT, *TARGETS]


@pytest.fixture(scope="session")
def widgets() -> list[str]:
    return WIDGETS


@pytest.fixture(scope="session")
def targets() -> list[str]:
    return TARGETS


@pytest.fixture(scope="session")
def corpus() -> list[str]:
    return CORPUS


@pytest.fixture(scope="session", params=["glm4v", "qwen3vl"])
def family(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def tiny(family: str) -> LoadedModel:
    return build_tiny_model(family, train_tokenizer(CORPUS, family, vocab_size=600), preset="tiny")

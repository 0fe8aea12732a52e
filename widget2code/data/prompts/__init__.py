"""Versioned prompt files for the LLM stages: `<name>_<version>.txt`, recorded in each record's provenance.

Edit a prompt by adding a new version file rather than changing an old one, so that a dataset's
provenance keeps meaning what it said; the text's hash is recorded too, to catch edits in place.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources


class PromptNotFoundError(ValueError):
    """No prompt file with that name and version."""


@dataclass(frozen=True)
class Prompt:
    name: str
    version: str
    text: str

    @property
    def id(self) -> str:
        return f"{self.name}_{self.version}"

    @property
    def sha(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()[:12]

    def provenance(self) -> dict[str, str]:
        return {"prompt": self.id, "prompt_sha": self.sha}


def load_prompt(name: str, version: str = "v1") -> Prompt:
    path = resources.files(__package__) / f"{name}_{version}.txt"
    if not path.is_file():
        available = sorted(p.name for p in resources.files(__package__).iterdir() if p.name.endswith(".txt"))
        raise PromptNotFoundError(f"no prompt file {name}_{version}.txt; available: {', '.join(available)}")
    return Prompt(name=name, version=version, text=path.read_text(encoding="utf-8").strip())

"""Versioned judge prompts, loaded by name and version from `<name>_<version>.txt` in this folder.

A prompt file is a set of sections, each introduced by a line `--- <section> ---`. The judge needs
`system`, `reference`, `instruction` and `repair` (a `{error}` placeholder, used when an answer is
retried), plus `candidate` (absolute) or `candidate_a` and `candidate_b` (pairwise). A changed prompt
gets a new version, and the version (with a hash of the text) is part of every cached judgment's key.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

_SECTION = re.compile(r"^--- ([a-z_]+) ---[ \t]*$", re.MULTILINE)
_NAME = re.compile(r"^[a-z0-9_]+$")


@dataclass(frozen=True)
class Prompt:
    name: str
    version: str
    sections: dict[str, str]
    sha256: str

    def __getitem__(self, section: str) -> str:
        return self.sections[section]


def parse_prompt(name: str, version: str, text: str, required: tuple[str, ...] = ()) -> Prompt:
    """Split a prompt file's text into its sections; raise ValueError naming any missing one."""
    parts = _SECTION.split(text)
    if parts[0].strip():
        raise ValueError(f"prompt {name}_{version}: text before the first '--- section ---' line")
    sections = {key: body.strip() for key, body in zip(parts[1::2], parts[2::2], strict=True)}
    missing = [s for s in required if not sections.get(s)]
    if missing:
        raise ValueError(f"prompt {name}_{version} lacks the section(s) {missing}; it has {sorted(sections)}")
    return Prompt(name, version, sections, hashlib.sha256(text.encode("utf-8")).hexdigest())


def load_prompt(name: str, version: str, required: tuple[str, ...] = ()) -> Prompt:
    """The prompt `<name>_<version>.txt` shipped in this package."""
    if not _NAME.match(name) or not _NAME.match(version):
        raise ValueError(f"prompt name and version must be lowercase words, got {name!r}, {version!r}")
    resource = resources.files(__name__) / f"{name}_{version}.txt"
    if not resource.is_file():
        shipped = sorted(Path(p.name).stem for p in resources.files(__name__).iterdir() if p.name.endswith(".txt"))
        raise ValueError(f"no prompt '{name}' version '{version}': the shipped prompts are {shipped}")
    return parse_prompt(name, version, resource.read_text(encoding="utf-8"), required)

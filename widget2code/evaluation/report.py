"""Self-contained HTML reports: tables, charts, picture galleries and code beside pictures.

A report is a directory: `index.html` plus the images it shows (copied or written next to it, so the
directory can be zipped or served as it is). Templates are Jinja2 (autoescaped: model output and
widget code are shown as text, never as markup).
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from PIL import Image
from rich.table import Table as RichTable

from widget2code.files import atomic_write_bytes, atomic_write_text


@dataclass
class Card:
    """One item of a gallery: a title, pictures side by side, optional code and notes, key figures."""

    title: str
    images: list[tuple[str, str]] = field(default_factory=list)  # (caption, path relative to the report)
    code: str | None = None
    notes: str | None = None
    figures: dict[str, Any] = field(default_factory=dict)


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[list[Any]]

    def __rich__(self) -> RichTable:
        """The same table on a terminal (`console.print(table)`)."""
        table = RichTable(*self.columns, title=self.title)
        for row in self.rows:
            table.add_row(*(str(cell) for cell in row))
        return table


@dataclass
class Section:
    title: str
    text: str = ""
    tables: list[Table] = field(default_factory=list)
    cards: list[Card] = field(default_factory=list)
    charts: list[tuple[str, str]] = field(default_factory=list)  # (caption, path relative to the report)


class Report:
    def __init__(self, directory: str | os.PathLike[str], title: str) -> None:
        self.directory = Path(directory)
        self.title = title
        self.sections: list[Section] = []
        (self.directory / "images").mkdir(parents=True, exist_ok=True)

    def add_image(self, name: str, image: Image.Image | bytes) -> str:
        """Store a picture in the report's images/ folder; returns its path relative to the report."""
        data = image if isinstance(image, bytes) else _png_bytes(image)
        relative = f"images/{name}.png"
        atomic_write_bytes(self.directory / relative, data)
        return relative

    def section(self, title: str, text: str = "") -> Section:
        section = Section(title=title, text=text)
        self.sections.append(section)
        return section

    def write(self) -> Path:
        environment = Environment(loader=PackageLoader("widget2code.evaluation", "templates"),
                                  autoescape=select_autoescape(["html", "j2"]))
        html = environment.get_template("report.html.j2").render(title=self.title, sections=self.sections)
        path = self.directory / "index.html"
        atomic_write_text(path, html)
        return path


def _png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()

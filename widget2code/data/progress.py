"""One rich progress bar per stage (or none, for library use and tests)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)


def make_progress(console: Console | None = None) -> Progress:
    return Progress(TextColumn("[bold]{task.description:<14}"), BarColumn(), MofNCompleteColumn(),
                    TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TimeRemainingColumn(),
                    console=console)


@contextmanager
def track(progress: Progress | None, description: str, total: int) -> Iterator[Callable[[int], None]]:
    """Yields `advance(n)`; a no-op when `progress` is None."""
    if progress is None:
        yield lambda n=1: None
        return
    task = progress.add_task(description, total=total, rate="")

    def advance(n: int = 1) -> None:
        progress.advance(task, n)
        speed = progress.tasks[task].speed
        progress.update(task, rate=f"{speed:.1f}/s" if speed else "")

    yield advance

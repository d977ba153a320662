"""Progress display for multi-step commands: one spinner line per step, with its time."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn


class Steps:
    """Show each step of a long job with a spinner while it runs and its time when done."""

    def __init__(self, console: Console) -> None:
        self._console = console
        self._progress = Progress(
            SpinnerColumn(finished_text="[green]✓[/green]"),
            TextColumn("{task.description}"),
            console=console,
            transient=False,
        )

    def __enter__(self) -> Steps:
        self._progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._progress.stop()

    @contextmanager
    def step(self, description: str) -> Iterator[None]:
        """Run the body as one named step."""
        task = self._progress.add_task(description, total=1)
        started = time.perf_counter()
        try:
            yield
        finally:
            seconds = time.perf_counter() - started
            self._progress.update(
                task, completed=1, description=f"{description} [dim]({seconds:.1f} s)[/dim]"
            )

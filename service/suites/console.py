"""What ``clinrules test`` prints: a progress bar on long suites, each failure, then a summary table."""

from __future__ import annotations

from collections import defaultdict
from types import TracebackType

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from service.suites.cards import Card
from service.suites.results import ScenarioResult, SuiteRun

INDICATOR_STYLE = {"critical": "bold red", "warning": "yellow", "info": "cyan"}
STATUS_STYLE = {"passed": "green", "failed": "bold red", "error": "bold magenta"}
PROGRESS_THRESHOLD = 20
"""Suites with fewer scenarios than this show no progress bar."""


class ConsoleProgress:
    """A rich progress bar that appears once the suite is known to be long, on a terminal only."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.total = 0
        self.done = 0
        self._progress: Progress | None = None
        self._task: int | None = None

    def __enter__(self) -> ConsoleProgress:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._progress is not None:
            self._progress.stop()

    def _show(self) -> None:
        if self._progress is None and self.total >= PROGRESS_THRESHOLD and self.console.is_terminal:
            self._progress = Progress(
                TextColumn("running scenarios"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=self.console,
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task("scenarios", total=self.total, completed=self.done)
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, total=self.total, completed=self.done)  # type: ignore[arg-type]

    def add_total(self, count: int) -> None:
        """More scenarios are known."""
        self.total += count
        self._show()

    def advance(self, count: int) -> None:
        """Scenarios finished."""
        self.done += count
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, completed=self.done)  # type: ignore[arg-type]


def _cards_table(title: str, cards: list[Card] | None) -> Table:
    table = Table(title=title, title_justify="left", show_edge=True, expand=False)
    table.add_column("indicator")
    table.add_column("topic")
    table.add_column("summary")
    if cards is None:
        table.add_row("", "[dim]not evaluated[/dim]", "")
    elif not cards:
        table.add_row("", "[dim]no alert[/dim]", "")
    for c in cards or []:
        style = INDICATOR_STYLE.get(c.indicator, "")
        table.add_row(f"[{style}]{c.indicator}[/]", escape(c.topic), escape(c.summary))
    return table


def print_failure(console: Console, result: ScenarioResult) -> None:
    """One failing scenario: where, what was expected, what went wrong, and the cards actually shown."""
    style = STATUS_STYLE[result.status]
    where = f"{result.suite}:{result.line}" if result.line else result.suite
    console.rule(f"[{style}]{result.status.upper()}[/] {escape(result.title)}", align="left")
    console.print(f"[dim]{escape(where)}[/dim]")
    if result.expected:
        console.print("[bold]Expected[/bold]")
        for line in result.expected:
            console.print(f"  {escape(line)}")
    if result.problems:
        console.print("[bold]Problem[/bold]")
        for line in result.problems:
            console.print(f"  [{style}]{escape(line)}[/]")
    if result.actual is not None or result.status == "failed":
        console.print(_cards_table("Actual cards", result.actual))
    console.print()


def print_summary(console: Console, run: SuiteRun) -> None:
    """A table per suite file (scenarios, passed, failed, errors, time) and the totals."""
    per_file: dict[str, list[ScenarioResult]] = defaultdict(list)
    for r in run.results:
        per_file[r.suite].append(r)
    table = Table(title=f"Scenario suites against {run.target}", title_justify="left")
    for column, justify in (("suite", "left"), ("scenarios", "right"), ("passed", "right"),
                            ("failed", "right"), ("errors", "right"), ("time", "right")):  # fmt: skip
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for suite, results in per_file.items():
        failed = sum(r.status == "failed" for r in results)
        errors = sum(r.status == "error" for r in results)
        table.add_row(
            escape(suite),
            str(len(results)),
            f"[green]{sum(r.status == 'passed' for r in results)}[/]",
            f"[bold red]{failed}[/]" if failed else "0",
            f"[bold magenta]{errors}[/]" if errors else "0",
            f"{sum(r.duration for r in results):.2f}s",
        )
    console.print(table)
    total = len(run.results)
    verdict = "[bold green]PASSED[/]" if run.ok else "[bold red]FAILED[/]"
    console.print(
        f"{verdict} {total} scenarios: {run.count('passed')} passed, {run.count('failed')} failed, "
        f"{run.count('error')} errors in {run.duration:.2f}s"
    )


def print_run(console: Console, run: SuiteRun) -> None:
    """Failures first, then the summary."""
    for result in run.results:
        if result.status != "passed":
            print_failure(console, result)
    print_summary(console, run)

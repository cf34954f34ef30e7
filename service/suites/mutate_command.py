"""The body of ``clinrules rules mutate``, which its click command (``service.rules_cli``) calls.

Exit codes: 0 done (and the score is at least ``--min-score``), 1 the score is below ``--min-score``,
2 nothing to run, a path that does not exist, an unknown rule, or every scenario failing on the rules as they
are, 3 the rules (or the equivalents file) do not load. Scenarios that fail on the rules as they are (while
others pass) are left out and listed.
"""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from engine.errors import KnowledgeBaseError
from service.suites.gherkin_inprocess import GherkinUnavailable
from service.suites.mutate import MutantResult, SuiteNotReady, mutate
from service.suites.mutation_report import print_report, run_json, scores_json, tally, write_junit


class _Bar:
    """A progress bar over the mutants, on a terminal only."""

    def __init__(self, console: Console) -> None:
        self.progress = Progress(
            TextColumn("mutants"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            TextColumn("{task.fields[survived]} survived"), console=console, transient=True,
        )  # fmt: skip
        self.enabled = console.is_terminal
        self.task: TaskID | None = None
        self.survived = 0

    def total(self, count: int) -> None:
        if self.enabled:
            self.progress.start()
            self.task = self.progress.add_task("mutants", total=count, survived=0)

    def result(self, result: MutantResult) -> None:
        self.survived += result.status == "survived"
        if self.task is not None:
            self.progress.update(self.task, advance=1, survived=self.survived)

    def stop(self) -> None:
        if self.enabled:
            self.progress.stop()


def mutate_command(
    paths: list[Path],
    console: Console,
    err: Console,
    rules_dir: Path | None = None,
    workers: int | None = None,
    rule_ids: list[str] | None = None,
    equivalents: Path | None = None,
    as_json: bool = False,
    junit: Path | None = None,
    write_scores: Path | None = None,
    min_score: float | None = None,
) -> int:
    """Run the mutation analysis, print it (a table, or JSON), write the reports; return the exit code."""
    bar = _Bar(err)
    try:
        run = mutate(
            paths, rules_dir, workers, rule_ids, equivalents, on_total=bar.total, on_result=bar.result
        )
    except KnowledgeBaseError as exc:
        err.print(f"error: {exc}", markup=False, highlight=False)
        return 3
    except (SuiteNotReady, GherkinUnavailable) as exc:
        err.print(f"error: {exc}", markup=False, highlight=False)
        for line in getattr(exc, "details", []):
            err.print(f"  {line}", markup=False, highlight=False)
        return 2
    finally:
        bar.stop()
    if as_json:
        console.print_json(json.dumps(run_json(run), ensure_ascii=False))
    else:
        print_report(run, console)
    if junit is not None:
        write_junit(run, junit)
        err.print(f"JUnit XML written to {junit}", highlight=False)
    if write_scores is not None:
        write_scores.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(scores_json(run), indent=2, ensure_ascii=False) + "\n"
        write_scores.write_text(text, encoding="utf-8")
        err.print(f"scores written to {write_scores}", highlight=False)
    score = tally(run.results)["score"]
    if min_score is not None and score is not None and score * 100 < min_score:
        err.print(f"mutation score {score * 100:.1f}% is below --min-score {min_score:g}%", highlight=False)
        return 1
    return 0

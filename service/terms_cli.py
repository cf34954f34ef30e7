"""``clinrules terms CODE [--system URI]``: what a code is recognised as, and the source of each concept."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click
from click.exceptions import Exit
from rich.markup import escape

from engine.errors import KnowledgeBaseError
from service.cli_common import err, rules_option, short_command, stdout_console

if TYPE_CHECKING:
    from engine.terminology import Recognition


@click.command("terms")
@click.argument("code", help="The code, e.g. 714464009, B20.0, L04AX02, HIV.G.DE1.")
@click.option(
    "--system",
    help="Code system URI or short name (snomed, icd10cm, icd10, icd11, atc, ciel, ...). "
    "Default: every system the knowledge base reads.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@rules_option
def terms(code: str, system: str | None, as_json: bool, rules: Path | None) -> None:
    """Show the concepts a code is recognised as, and the published source (or hand-kept reason) of each.

    Exit status 0 when the code is recognised, 1 when it is not, 2 for a code system the knowledge base
    does not read (records coded only in it are reported as unreadable).
    """
    short_command()
    from rich.table import Table

    from engine.paths import default_rules_dir
    from engine.valueset_files import load_value_sets

    out = stdout_console()
    try:
        value_sets = load_value_sets((rules or default_rules_dir()) / "valuesets.yaml")
    except KnowledgeBaseError as exc:
        err.print(f"error: {exc}", markup=False)
        raise Exit(3) from exc
    if system is not None and not value_sets.is_known_system(system):
        known = ", ".join(f"{n} ({u})" for n, u in sorted(value_sets.systems.items()))
        err.print(
            f"error: --system: '{system}' is not a code system the knowledge base reads; known: {known}",
            markup=False,
        )
        raise Exit(2)
    found = value_sets.explain(code, system)
    if as_json:
        out.print_json(json.dumps([_as_dict(r, value_sets.systems) for r in found], ensure_ascii=False))
    elif not found:
        out.print(
            f"{code}: not recognised as any concept" + (f" in {system}" if system else ""), markup=False
        )
    else:
        table = Table(title=f"{escape(code)}: recognised as")
        for column in ("kind", "concept", "system", "entry", "source"):
            table.add_column(column, overflow="fold")
        for r in found:
            concept = f"not {r.concept}" if r.excluded else r.concept
            table.add_row(*(escape(v) for v in (r.kind.rstrip("s"), concept, r.system, r.code, r.source)))
        out.print(table)
    raise Exit(0 if any(not r.excluded for r in found) else 1)


def _as_dict(r: Recognition, systems: dict[str, str]) -> dict[str, object]:
    return {
        "kind": r.kind.rstrip("s"),
        "concept": r.concept,
        "recognised": not r.excluded,
        "system": systems.get(r.system, r.system),
        "entry": r.code,
        "source": r.source,
    }

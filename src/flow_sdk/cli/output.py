"""Output for people (aligned tables, key/value blocks) and for scripts (``--json``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import click


def print_json(value: Any) -> None:
    import json

    click.echo(json.dumps(value, indent=2, sort_keys=False, default=str))


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, dict | list):
        import json

        return json.dumps(value, default=str)
    return str(value)


def print_table(rows: Iterable[Mapping[str, Any]], columns: Sequence[str | tuple[str, str]]) -> None:
    """Columns are keys, or (key, heading) pairs; an empty result says so instead of nothing."""
    cols = [(c, c.upper()) if isinstance(c, str) else c for c in columns]
    body = [[_cell(row.get(key)) for key, _ in cols] for row in rows]
    if not body:
        click.echo("(none)")
        return
    widths = [max(len(head), *(len(r[i]) for r in body)) for i, (_, head) in enumerate(cols)]
    click.echo("  ".join(head.ljust(w) for (_, head), w in zip(cols, widths, strict=True)).rstrip())
    for r in body:
        click.echo("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())


def print_fields(pairs: Sequence[tuple[str, Any]]) -> None:
    width = max(len(k) for k, _ in pairs)
    for key, value in pairs:
        click.echo(f"{key.ljust(width)}  {_cell(value)}")


def emit(value: Any, as_json: bool, *, columns: Sequence[str | tuple[str, str]] | None = None) -> None:
    """JSON for scripts; a table (lists) or fields (objects) for people."""
    if as_json:
        print_json(value)
    elif isinstance(value, list):
        print_table(value, columns or (list(value[0].keys()) if value else ["id"]))
    elif isinstance(value, dict):
        print_fields([(k, v) for k, v in value.items()])
    else:
        click.echo(_cell(value))


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")


def json_argument(value: str | None, what: str) -> Any:
    """JSON given inline, or ``@path`` to read it from a file; bad input is a usage error."""
    if value is None:
        return None
    import json

    text = value
    if value.startswith("@"):
        from pathlib import Path

        try:
            text = Path(value[1:]).read_text(encoding="utf-8")
        except OSError as exc:
            raise click.BadParameter(f"cannot read {value[1:]}: {exc.strerror}", param_hint=what) from None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise click.BadParameter(f"not valid JSON: {exc}", param_hint=what) from None

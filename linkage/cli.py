"""The `linkage` command line: run, validate, profile, config-schema and the tools around a run.

Every expected failure (bad config, unreadable source, lost rows) ends with a short message
naming the file and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import importlib
import json
import sys
import unicodedata
from pathlib import Path

import click

from linkage.attributes import ENTITY_TYPES
from linkage.config import FORMATS, ConfigError, config_json_schema, load_config
from linkage.connectors import SourceError, read_path
from linkage.connectors.mapping import map_columns


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(2)


# Commands that live beside the stage they belong to, imported only when used.
_LAZY_COMMANDS = {
    "synth": ("linkage.synth.command", "synth"),
    "evaluate": ("linkage.synth.evaluate", "evaluate"),
    "explain": ("linkage.link.explain", "explain"),
    "report": ("linkage.report.command", "report"),
}


class _Group(click.Group):
    """A click group that imports the stage commands on first use (keeps `--help` fast)."""

    def list_commands(self, ctx):
        return sorted([*super().list_commands(ctx), *_LAZY_COMMANDS])

    def get_command(self, ctx, name):
        if name in _LAZY_COMMANDS:
            module, attr = _LAZY_COMMANDS[name]
            return getattr(importlib.import_module(module), attr)
        return super().get_command(ctx, name)


@click.group(cls=_Group)
@click.version_option(package_name="linkage")
def main() -> None:
    """Find the same people and enterprises across departmental exports and measure re-entry."""


@main.command()
@click.argument("config", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--quiet", "-q", is_flag=True, help="Print only errors and the output folder.")
def run(config: Path, quiet: bool) -> None:
    """Run the whole pipeline described by CONFIG (YAML)."""
    from linkage.pipeline import RunError, run as run_pipeline

    try:
        cfg = load_config(config)
        run_pipeline(cfg, echo=(lambda _m: None) if quiet else (lambda m: click.echo(m, err=True)))
    except (ConfigError, RunError) as exc:
        _fail(str(exc))
    if quiet:
        click.echo(str(cfg.output_dir()))


@main.command()
@click.argument("config", type=click.Path(dir_okay=False, path_type=Path))
def validate(config: Path) -> None:
    """Check CONFIG and that every source file exists, without running."""
    try:
        cfg = load_config(config)
    except ConfigError as exc:
        _fail(str(exc))
    missing = [f"source {key!r}: {cfg.source_path(s)}: file not found"
               for key, s in cfg.sources.items() if s.path and not cfg.source_path(s).exists()]
    if missing:
        _fail("\n".join(missing))
    click.echo(f"{config}: valid ({len(cfg.sources)} sources, output {cfg.output_dir()})")


@main.command("config-schema")
def config_schema() -> None:
    """Print the JSON Schema of the config file (for editors)."""
    click.echo(json.dumps(config_json_schema(), ensure_ascii=False, indent=2))


@main.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--entity", type=click.Choice(ENTITY_TYPES), default="person", show_default=True)
@click.option("--format", "fmt", type=click.Choice(FORMATS), help="Default: from the extension.")
@click.option("--encoding", default="auto", show_default=True)
@click.option("--sheet", default="0", help="Excel sheet name or index.")
@click.option("--table", help="Table to read from a SQLite file.")
@click.option("--samples", default=3, show_default=True, help="Masked sample values per column.")
def profile(file: Path, entity: str, fmt: str | None, encoding: str, sheet: str, table: str | None,
            samples: int) -> None:
    """Show how FILE would be read: encoding, header row, proposed column mapping, fill rates."""
    from linkage.config import _EXTENSIONS
    from linkage.measure.masking import mask_value

    fmt = fmt or _EXTENSIONS.get(file.suffix.lower())
    if fmt is None:
        _fail(f"{file}: cannot tell the format from the extension; pass --format")
    try:
        raw = read_path(file, fmt, encoding=encoding, sheet=int(sheet) if sheet.isdigit() else sheet,
                        table=table)
        mappings = map_columns(raw, entity, {}, str(file))
    except SourceError as exc:
        _fail(str(exc))
    click.echo(f"file:       {file}")
    click.echo(f"format:     {fmt}" + (f"   encoding: {raw.encoding}" if raw.encoding else ""))
    if raw.header_row:
        click.echo(f"header row: {raw.header_row}")
    click.echo(f"rows:       {raw.rows_in} ({raw.quarantine.height} unreadable)")
    click.echo("")
    click.echo(f"{'column':<20} {'attribute':<22} {'method':<9} {'conf':>5} {'fill':>6}  samples")
    for m in mappings:
        values = raw.data[m.header].drop_nulls().head(samples).to_list()
        shown = ", ".join(mask_value(v, m.attribute) for v in values)
        click.echo(f"{_pad(m.header, 20)} {m.attribute or '(extra)':<22} {m.method:<9} "
                   f"{m.confidence:>5.2f} {m.fill_rate:>6.1%}  {shown}")
    for row in raw.quarantine.head(5).to_dicts():
        click.echo(f"unreadable row {row['source_row']}: {row['reason']}")


def _pad(text: str, width: int) -> str:
    """`text` padded to `width` terminal columns (CJK characters take two)."""
    used = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(width - used, 0)


if __name__ == "__main__":
    main()

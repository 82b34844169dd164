"""The `linkage` command line: run, validate, profile, config-schema and the tools around a run.

This is the one error boundary: every expected failure below it is a `LinkageError` (bad
config, unreadable source, lost rows, an output folder that cannot be used), caught here and
printed as a short message naming the file, with exit status 2 — never a traceback.  An
unexpected exception is a bug: its traceback goes to a file and the message says where.
"""

from __future__ import annotations

import datetime as dt
import importlib
import json
import tempfile
import traceback
import unicodedata
from pathlib import Path

import click
import polars as pl

from linkage.attributes import ENTITY_TYPES
from linkage.config import FORMATS, config_json_schema, load_config
from linkage.connectors import read_path
from linkage.connectors.mapping import map_columns, unmapped_message
from linkage.errors import ConfigError, LinkageError, SourceError

EXIT_ERROR = 2   # an expected failure: the message says what to fix
EXIT_BUG = 3     # an unexpected exception: a bug, traceback written to a file


def _report_error(message: str) -> int:
    click.echo(f"error: {message}", err=True)
    return EXIT_ERROR


def _report_bug(exc: BaseException) -> int:
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    path = Path(tempfile.gettempdir()) / f"linkage-error-{stamp}.txt"
    try:
        path.write_text("".join(traceback.format_exception(exc)), encoding="utf-8")
        where = f"details in {path}"
    except OSError:
        where = "no details could be saved"
    click.echo(f"error: internal error ({type(exc).__name__}: {exc}); this is a bug in linkage, "
               f"please report it — {where}", err=True)
    return EXIT_BUG


# Commands that live beside the stage they belong to, imported only when used.
_LAZY_COMMANDS = {
    "synth": ("linkage.synth.command", "synth"),
    "evaluate": ("linkage.synth.evaluate", "evaluate"),
    "explain": ("linkage.link.explain", "explain"),
    "report": ("linkage.report.command", "report"),
    "init": ("linkage.init.command", "init"),
    "review": ("linkage.review.command", "review"),
    "diff": ("linkage.store.diff", "diff"),
    "publish": ("linkage.publish.command", "publish"),
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

    def invoke(self, ctx):
        """Run the command; expected failures become a message and exit status 2."""
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except LinkageError as exc:
            ctx.exit(_report_error(str(exc)))
        except MemoryError:
            ctx.exit(_report_error("out of memory: the run needs more memory than this machine "
                                   "could give; lower the input size or set a memory limit"))
        except RecursionError:
            ctx.exit(_report_error("an input is nested too deeply to read"))
        except Exception as exc:  # noqa: BLE001 — the boundary: a bug, reported, not a traceback
            ctx.exit(_report_bug(exc))


@click.group(cls=_Group)
@click.version_option(package_name="linkage")
def main() -> None:
    """Find the same people and enterprises across departmental exports and measure re-entry."""


@main.command()
@click.argument("config", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--quiet", "-q", is_flag=True, help="Print only errors and the output folder.")
@click.option("--retrain", is_flag=True,
              help="重新估计模型，不沿用实体库中的模型 / train the model afresh instead of reusing "
                   "the entity store's.")
@click.option("--full", is_flag=True,
              help="完全重建：重新比较所有记录对并重新估计模型 / rebuild from scratch: compare every "
                   "pair again and train the model afresh (ids are still kept stable).")
def run(config: Path, quiet: bool, retrain: bool, full: bool) -> None:
    """Run the whole pipeline described by CONFIG (YAML)."""
    from linkage.pipeline import run as run_pipeline

    cfg = load_config(config)
    run_pipeline(cfg, echo=(lambda _m: None) if quiet else (lambda m: click.echo(m, err=True)),
                 retrain="--full" if full else "--retrain" if retrain else None)
    if quiet:
        click.echo(str(cfg.output_dir()))


@main.command()
@click.argument("config", type=click.Path(dir_okay=False, path_type=Path))
def validate(config: Path) -> None:
    """Check CONFIG and that every source file exists, without running."""
    cfg = load_config(config)
    missing = [f"source {key!r}: {cfg.source_path(s)}: file not found"
               for key, s in cfg.sources.items() if s.path and not cfg.source_path(s).exists()]
    if missing:
        raise ConfigError("\n".join(missing))
    click.echo(f"{config}: valid ({len(cfg.sources)} sources, output {cfg.output_dir()})")


@main.command()
@click.argument("config", type=click.Path(dir_okay=False, path_type=Path))
def plan(config: Path) -> None:
    """Show the blocking plan of CONFIG: attributes per source, rules, pairs, weak links."""
    from linkage.pipeline import plan_blocking

    cfg = load_config(config)
    for entity, records, blocking in plan_blocking(cfg):
        p = blocking.plan
        click.echo(f"{entity}: {records:,} records in {p.fill['source'].n_unique()} sources")
        click.echo("  attributes per source (share of records filled):")
        fill = p.fill.filter(pl.col("fill") > 0).pivot(on="source", index="key", values="fill")
        sources = [c for c in fill.columns if c != "key"]
        click.echo("    " + _pad("key", 24) + " ".join(_pad(s, 10) for s in sources))
        for row in fill.iter_rows(named=True):
            cells = " ".join(_pad("" if row[s] is None else f"{row[s]:.0%}", 10) for s in sources)
            click.echo("    " + _pad(row["key"], 24) + cells)
        origin = "planned from the data" if p.planned else "from the config"
        click.echo(f"  blocking rules ({origin}; `linkage.{entity}.blocking_rules` replaces them):")
        width = max((len(rule.label) for rule in p.rules), default=0)
        for i, (rule, reason, n) in enumerate(zip(p.rules, p.reasons, blocking.counts), 1):
            click.echo(f"    {i:>2}. {_pad(rule.label, width)} {n:>12,} pairs   {reason}")
        fragile = p.coverage.filter(pl.col("fragile") != "")
        if fragile.height:
            click.echo("  source pairs that one error in these attributes separates:")
            for row in fragile.iter_rows(named=True):
                click.echo(f"    {row['source_l']} – {row['source_r']}: shares {row['shared']}; "
                           f"fragile: {row['fragile']}")
        else:
            click.echo("  every pair of sources survives one error in any shared attribute")


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
    from linkage.normalize.text import SCIENTIFIC

    fmt = fmt or _EXTENSIONS.get(file.suffix.lower())
    if fmt is None:
        raise SourceError(f"{file}: cannot tell the format from the extension; pass --format")
    raw = read_path(file, fmt, encoding=encoding, sheet=int(sheet) if sheet.isdigit() else sheet,
                    table=table)
    mappings = map_columns(raw, entity, {}, str(file))
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
    if unusable := unmapped_message(raw, mappings, entity, str(file)):
        click.echo(f"warning: {unusable}")
    for m in mappings:
        lost = raw.data[m.header].str.contains(SCIENTIFIC).sum()
        if lost:
            click.echo(f"精度丢失 precision lost: {lost} values of {m.header} are numbers in "
                       "scientific notation (stored as spreadsheet numbers, digits beyond the 15th "
                       "gone); flagged precision_lost, never valid")
    for row in raw.quarantine.head(5).to_dicts():
        click.echo(f"unreadable row {row['source_row']}: {row['reason']}")


def _pad(text: str, width: int) -> str:
    """`text` padded to `width` terminal columns (CJK characters take two)."""
    used = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(width - used, 0)


if __name__ == "__main__":
    main()

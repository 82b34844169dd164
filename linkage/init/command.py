"""`linkage init EXPORTS_DIR [-o config.yaml] [--force]`: write a config for a folder of exports."""

from __future__ import annotations

from pathlib import Path

import click

from linkage.init import init_config


@click.command()
@click.argument("exports_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("-o", "--output", "config", type=click.Path(dir_okay=False, path_type=Path),
              default=Path("config.yaml"), show_default=True, help="The config file to write.")
@click.option("--force", is_flag=True, help="Replace the config file if it exists.")
def init(exports_dir: Path, config: Path, force: bool) -> None:
    """Scan EXPORTS_DIR (every file, sheet and table) and write a commented config for it."""
    result = init_config(exports_dir, config, force=force)
    for s in result.sources:
        where = s.found.path.name + (f" [{s.found.sheet or s.found.table}]"
                                     if s.found.sheets_in_file > 1 else "")
        mapped = sum(1 for p in s.proposals if p.attribute)
        unsure = sum(1 for p in s.proposals if p.attribute and p.confidence < 0.9)
        click.echo(f"  {s.key}: {where} — {s.entity}, {s.found.raw.rows_in:,} rows, "
                   f"{mapped}/{len(s.proposals)} columns mapped"
                   + (f" ({unsure} to check)" if unsure else ""), err=True)
    for s in result.skipped:
        click.echo(f"  left out: {s.found.path.name}"
                   + (f" [{s.found.sheet or s.found.table}]" if s.found.sheets_in_file > 1 else "")
                   + f" — {s.reason}", err=True)
    click.echo(f"wrote {config} ({len(result.sources)} sources"
               + (f", region {result.region}" if result.region else "") + f"); next: "
               f"linkage run {config}", err=True)

"""`linkage publish OUTPUT_DIR --to URL`: load a finished run into PostgreSQL or MySQL."""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("output_dir", type=click.Path(file_okay=False, path_type=Path))
@click.option("--to", "url", required=True, metavar="URL",
              help="postgresql://user@host:5432/db or mysql://user@host:3306/db; the password "
                   "comes best from PGPASSWORD / ~/.pgpass or MYSQL_PWD / ~/.my.cnf.")
@click.option("--schema", default="linkage", show_default=True,
              help="PostgreSQL schema / MySQL database to publish into (replaced whole).")
def publish(output_dir: Path, url: str, schema: str) -> None:
    """Publish the run in OUTPUT_DIR: unified schema, golden records, crosswalk, metrics.

    发布运行结果到数据库：统一表结构、黄金记录、记录与实体对照、指标；整体替换上一次发布。"""
    from linkage.publish import publish as publish_run

    result = publish_run(output_dir, url, schema, echo=lambda m: click.echo(m, err=True))
    click.echo(f"{'replaced' if result['replaced'] else 'created'} {result['schema']} in "
               f"{result['url']}:")
    for table, rows in result["tables"].items():
        click.echo(f"  {table:<36} {rows:>10,} rows")

"""`linkage synth`: write a synthetic city's departmental exports with their ground truth."""

from __future__ import annotations

import time
from pathlib import Path

import click

from linkage.errors import LinkageError
from linkage.synth.noise import NOISE_LEVELS
from linkage.synth.profiles import DEFAULT, load_profile, profile_names


def _names(values: tuple[str, ...]) -> list[str] | None:
    """--systems given several times or comma-separated ("jzdj,pda")."""
    names = [n.strip() for v in values for n in v.split(",") if n.strip()]
    return names or None


@click.command()
@click.option("--people", type=click.IntRange(min=1), required=True,
              help="Residents of the synthetic city (records are about 4 per person).")
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder for the exports, truth.parquet, truth_summary.json and config.yaml.")
@click.option("--seed", type=int, default=0, show_default=True, help="Same seed, same files.")
@click.option("--noise", type=click.Choice(list(NOISE_LEVELS)), default="default", show_default=True,
              help="Entry-error rates: low (×0.5), default, high (×2).")
@click.option("--profile", default=DEFAULT, show_default=True, metavar="NAME|FILE.yaml",
              help=f"Which systems the city has, what each exports and its error rates: "
                   f"{', '.join(profile_names())}, or a profile file (see linkage/synth/profiles.py).")
@click.option("--systems", multiple=True, metavar="NAME[,NAME…]",
              help=f"Only these systems or sources of the profile (default: all); the default profile's: "
                   f"{', '.join(load_profile().system_keys)}.")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Processes making chunks (default: one per core); the files are the same for any number.")
@click.option("--months", type=click.IntRange(min=1), default=None,
              help="Successive monthly exports of the same city with churn, in OUT/month-01 … "
                   "(each with its truth and a config sharing the entity store OUT/store.duckdb).")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing but errors.")
def synth(people: int, out: Path, seed: int, noise: str, profile: str, systems: tuple[str, ...],
          workers: int | None, months: int | None, quiet: bool) -> None:
    """Write realistic departmental exports of a synthetic 深圳 with the true entity of every row.

    One file per system export (CSV in GBK / GB18030 / UTF-8-BOM, TSV, Excel with a title row,
    JSON Lines, SQLite), truth.parquet (source, source_row, entity_type, entity_id, errors),
    truth_summary.json (true redundancy) and config.yaml to run `linkage run` on them.
    --profile picks another city: other systems, headers, formats and error rates.
    --months N writes N months of the same city as people move in, out and house, change
    phones, and departments re-key and delete records (linkage/synth/months.py).
    """
    from linkage.synth.generate import generate, generate_months, month_folder

    start = time.perf_counter()

    def progress(done: int, total: int) -> None:
        if not quiet:
            click.echo(f"  {done:,} / {total:,} people", err=True)

    options = {"seed": seed, "noise": noise, "systems": _names(systems), "workers": workers,
               "progress": progress, "profile": profile}
    try:
        results = (generate_months(out, people, months, **options) if months
                   else [generate(out, people, **options)])
    except (ValueError, OverflowError) as exc:
        raise LinkageError(str(exc)) from None
    if quiet:
        return
    if months:
        for k, result in enumerate(results):
            counts = {e: t["records"] for e, t in result["entity_types"].items()}
            click.echo(f"{month_folder(k)}: {result['population']['people']:,} people present, "
                       + ", ".join(f"{n:,} {e} records" for e, n in counts.items()))
        click.echo(f"run the months in order: linkage run {out}/month-01/config.yaml, then month-02 …")
        return
    result = results[0]
    seconds = time.perf_counter() - start
    if profile != DEFAULT:
        click.echo(f"profile {result['generator']['profile']}: {load_profile(profile).title}")
    click.echo(f"{'source':<10} {'title':<8} {'entity':<10} {'file':<16} {'records':>9} {'entities':>9}")
    for key, s in result["sources"].items():
        click.echo(f"{key:<10} {s['title']:<8} {s['entity_type']:<10} {s['file']:<16} "
                   f"{s['records']:>9,} {s['entities']:>9,}")
    total = sum(t["records"] for t in result["entity_types"].values())
    for entity_type, t in result["entity_types"].items():
        click.echo(f"{entity_type}: {t['records']:,} records of {t['entities']:,} entities "
                   f"({t['redundant_records']:,} redundant)")
    click.echo(f"{total:,} records in {seconds:.1f} s ({total / max(seconds, 1e-9):,.0f} records/s) → {out}")

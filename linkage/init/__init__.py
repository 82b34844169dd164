"""`linkage init EXPORTS_DIR`: from a folder of exports to a config a run can use as it is.

`init_config(exports, config_path, force)` scans the folder (`scan`: every file of a supported
format, every sheet of a workbook, every table of a SQLite file), decides for each table
whether it holds people or enterprises and how its columns map (`sources`, `columns`), finds
the city of the addresses (`region`) and writes a commented config (`render`) that
`linkage validate` accepts: one source per table it can read, the tables it cannot read or
that identify nobody listed with the reason.  The output folder it names is a new folder
beside the config, never the exports folder.  It never overwrites a config unless `force`.
The same folder gives the same bytes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import yaml

from linkage.config import load_config
from linkage.errors import ConfigError
from linkage.init.region import find_region
from linkage.init.render import Header, render
from linkage.init.scan import scan_folder
from linkage.init.sources import Skipped, Source, plan_sources
from linkage.outputs import read_marker

__all__ = ["init_config", "InitResult"]

OUTPUT_NAME = "out"


@dataclass
class InitResult:
    config: Path
    sources: list[Source]
    skipped: list[Skipped]
    region: str | None
    output: Path


def _relative(path: Path, start: Path) -> str:
    return Path(os.path.relpath(path, start)).as_posix()


def _output_folder(config_dir: Path, exports: Path) -> Path:
    """`out` beside the config, or `out_2`, `out_3` … when that is taken by files a run did not
    write or would hold the exports."""
    n = 1
    while True:
        folder = config_dir / (OUTPUT_NAME if n == 1 else f"{OUTPUT_NAME}_{n}")
        holds_exports = exports == folder or exports.is_relative_to(folder)
        ours = not folder.exists() or (folder.is_dir() and read_marker(folder) is not None)
        if ours and not holds_exports:
            return folder
        n += 1


def _where(found, config_dir: Path) -> str:
    where = _relative(found.path, config_dir)
    if found.sheet is not None:
        where += f", sheet {found.sheet}"
    if found.table:
        where += f", table {found.table}"
    return where


def init_config(exports: Path, config_path: Path, force: bool = False) -> InitResult:
    """Write a config for the exports under `exports` to `config_path` (see the module doc)."""
    exports, config_path = Path(exports).resolve(), Path(config_path).absolute()
    if not exports.is_dir():
        raise ConfigError(f"{exports}: not a folder of exports")
    if config_path.exists() and not force:
        raise ConfigError(f"{config_path}: already exists; pass --force to replace it")
    config_dir = config_path.parent.resolve()
    if not config_dir.is_dir():
        raise ConfigError(f"{config_dir}: the folder for the config does not exist")
    found = [f for f in scan_folder(exports) if f.path.resolve() != config_path.resolve()]
    sources, skipped = plan_sources(found)
    if not sources:
        reasons = "; ".join(f"{_where(s.found, config_dir)}: {s.reason}" for s in skipped[:5])
        raise ConfigError(f"{exports}: no table of people or enterprises found"
                          + (f" ({reasons})" if reasons else " (the folder holds no files)"))
    region = find_region([s.found.raw.data[p.header] for s in sources for p in s.proposals
                          if p.attribute == "address"])
    if region.city:
        comment = (f"the city of {region.share:.0%} of the {region.addresses:,} addresses that "
                   "name one" + ("" if region.clear else
                                 "; not clear enough to set: uncomment it if it is right"))
    else:
        comment = "no address names a city; set the city or district of the exports if known"
    output = _output_folder(config_dir, exports)
    header = Header(folder=_relative(exports, config_dir), name=exports.name,
                    output=_relative(output, config_dir), region=region.city,
                    region_comment=comment, region_clear=region.clear)
    paths = [_relative(s.found.path, config_dir) for s in sources]
    text, data = render(header, sources, paths,
                        [(_where(s.found, config_dir), s) for s in skipped])
    if yaml.safe_load(text) != data:
        raise AssertionError("linkage init wrote a config that does not read back as intended")
    temporary = config_path.with_name(f".{config_path.name}.init-{os.getpid()}")
    try:
        temporary.write_text(text, encoding="utf-8")
        load_config(temporary)
        os.replace(temporary, config_path)
    finally:
        temporary.unlink(missing_ok=True)
    return InitResult(config_path, sources, skipped, region.city if region.clear else None, output)

"""Helpers shared by the entity-store tests."""

from pathlib import Path


def config_copy(folder: Path, name: str, store: str, output: str) -> Path:
    """A copy of a synth month's config (`folder/config.yaml`) as `folder/<name>.yaml`, naming
    the store file `../<store>` and the output folder `<output>`."""
    text = (folder / "config.yaml").read_text(encoding="utf-8")
    path = folder / f"{name}.yaml"
    path.write_text(text.replace("store: ../store.duckdb", f"store: ../{store}")
                    .replace("output: out", f"output: {output}"), encoding="utf-8")
    return path

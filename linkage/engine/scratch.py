"""The intermediate tables of one stage, created through one registry and dropped together.

A stage that needs working tables opens a `Scratch` on the engine; every table it makes there
is a temp table remembered by the registry, and leaving the `with` block drops them all — after
success or failure alike — so no stage keeps a hand-written list of what to drop.

    with Scratch(engine) as scratch:
        scratch.create("_m_values", "SELECT …")
        scratch.load("_m_attrs", frame)
"""

from __future__ import annotations

from typing import Self

import polars as pl
import pyarrow as pa

from linkage.engine.base import Engine


class Scratch:
    def __init__(self, engine: Engine):
        self.engine = engine
        self.names: list[str] = []

    def _remember(self, name: str) -> str:
        if name not in self.names:
            self.names.append(name)
        return name

    def create(self, name: str, query: str) -> str:
        """Create (or replace) temp table `name` from `query`; returns the name."""
        self.engine.create_table(name, query, temp=True)
        return self._remember(name)

    def load(self, name: str, data: pl.DataFrame | pa.Table) -> str:
        """Create (or replace) temp table `name` from a frame; returns the name."""
        self.engine.load(name, data, temp=True)
        return self._remember(name)

    def drop(self, *names: str) -> None:
        """Drop tables of this registry now (all of them when none are named)."""
        for name in list(names or self.names)[::-1]:
            self.engine.drop_table(name)
            self.names.remove(name)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.drop()

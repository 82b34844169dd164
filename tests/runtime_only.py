"""Run the `linkage` command line with only its declared runtime dependencies importable.

    python tests/runtime_only.py run configs/demo.yaml

Test extras (recordlinkage, hypothesis …) pull in packages the runtime does not declare; a
module of linkage that imported one would pass every test and still fail on a fresh install.
This runner blocks, before linkage is imported, every top-level module that belongs to an
installed distribution outside the closure of linkage's runtime requirements.
"""

from __future__ import annotations

import importlib.abc
import importlib.metadata as md
import re
import sys

from packaging.requirements import Requirement


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def runtime_distributions(root: str = "linkage") -> set[str]:
    """The distributions `root` needs at run time: its requirements without extras, recursively."""
    seen: set[str] = set()
    todo = [root]
    while todo:
        name = _norm(todo.pop())
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = md.requires(name) or []
        except md.PackageNotFoundError:
            continue
        for text in requires:
            req = Requirement(text)
            if req.marker is None or req.marker.evaluate({"extra": ""}):
                todo.append(req.name)
    return seen


class _Blocker(importlib.abc.MetaPathFinder):
    def __init__(self, blocked: set[str]):
        self.blocked = blocked

    def find_spec(self, fullname, path=None, target=None):
        if fullname.split(".")[0] in self.blocked:
            raise ModuleNotFoundError(
                f"No module named {fullname!r} (not a declared runtime dependency of linkage)")
        return None


def install_blocker() -> set[str]:
    allowed = runtime_distributions()
    blocked = {top for top, dists in md.packages_distributions().items()
               if not any(_norm(d) in allowed for d in dists)
               and top not in sys.stdlib_module_names}
    sys.meta_path.insert(0, _Blocker(blocked))
    return blocked


if __name__ == "__main__":
    install_blocker()
    from linkage.cli import main

    main(sys.argv[1:], prog_name="linkage")

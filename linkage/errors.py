"""The one error hierarchy of linkage: every expected failure is a `LinkageError`.

Library code raises a subclass with a message written for the analyst (naming the file, the
row, the column or the config key); the command line catches `LinkageError` once, at its
boundary (`linkage.cli`), prints the message and exits non-zero.  Nothing below the CLI prints
or calls `sys.exit`.
"""

from __future__ import annotations


class LinkageError(Exception):
    """An expected failure; the message is for the analyst, not a traceback."""


class ConfigError(LinkageError):
    """A problem with the config file or a source it names."""


class SourceError(LinkageError):
    """A source that cannot be read at all; the message names the file (and row/column)."""


class RunError(LinkageError):
    """A run that cannot go on (lost rows, an impossible plan, a stage that failed)."""


class OutputError(LinkageError):
    """The output folder cannot be used: it holds files linkage did not write, another run
    holds its lock, or the disk refused a write."""


class BlockingBudgetError(RunError):
    """A blocking rule would produce more candidate pairs than the configured budget."""


class NotARunError(LinkageError):
    """A folder given to `report`, `explain`, `evaluate` … is not a finished run's output."""


def first_line(exc: BaseException) -> str:
    """The first non-blank line of a third-party error, for a one-line message (its class name
    when it has none)."""
    return next((line.strip() for line in str(exc).splitlines() if line.strip()),
                type(exc).__name__)

"""linkage: find the same people and enterprises across departmental exports and measure re-entry."""

__version__ = "0.1.0"

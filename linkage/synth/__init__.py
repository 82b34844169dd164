"""Synthetic departmental exports of a real city (深圳) with their ground truth (`linkage synth`).

reference (vocabularies in linkage/data/synth/) → world (households, people, enterprises per
chunk; codes, address) → systems (the nine systems as data) → render (records and entry errors,
noise) → writers / xlsx (files) → truth (truth.parquet, truth_summary.json); generate drives it,
command is the CLI, evaluate scores a run against the truth, fixtures rebuilds data/fixtures/.
"""

"""Synthetic departmental exports of a real city (深圳) with their ground truth (`linkage synth`).

reference (vocabularies in linkage/data/synth/) → world (households, people, enterprises per
chunk; codes, address) → profiles (which systems the city has and how each exports, read from
linkage/data/synth/profiles/*.yaml into systems' SourceSpecs: the default profile is the nine
systems of 深圳) → render (records and entry errors, noise) → writers / xlsx (files) → truth
(truth.parquet, truth_summary.json); generate drives it, command is the CLI, evaluate scores a
run against the truth, fixtures rebuilds data/fixtures/.
"""

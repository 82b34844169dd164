"""Where the labels live (`review:` in the config) and the app's strings in both languages."""

from __future__ import annotations

import re

import pytest

from linkage.config import load_config
from linkage.errors import ConfigError
from linkage.review.i18n import UI

SOURCES = "sources:\n  a: {path: a.csv}\n"


def test_labels_default_beside_the_config_and_a_key_moves_them(write, tmp_path):
    config = load_config(write("南山.yaml", "output: out/run\n" + SOURCES))
    assert config.labels_path() == tmp_path / "南山.labels.csv"
    assert config.review.audit_size == 400
    moved = load_config(write("b.yaml", "output: out\nreview: {labels: shared/team.csv, "
                                        "audit_size: 200}\n" + SOURCES))
    assert moved.labels_path() == tmp_path / "shared" / "team.csv"
    assert moved.review.audit_size == 200


def test_labels_never_inside_the_output_folder(write):
    with pytest.raises(ConfigError, match="inside the output folder"):
        load_config(write("c.yaml", "output: out\nreview: {labels: out/l.csv}\n" + SOURCES))
    with pytest.raises(ConfigError, match="review.labl"):
        load_config(write("d.yaml", "review: {labl: x.csv}\n" + SOURCES))


def test_every_string_in_both_languages_with_the_same_placeholders():
    assert UI["zh"].keys() == UI["en"].keys()
    for key in UI["zh"]:
        fields = [set(re.findall(r"\{(\w+)\}", UI[lang][key])) for lang in ("zh", "en")]
        assert fields[0] == fields[1], key

"""data/fixtures/ and configs/demo.yaml are what `python -m linkage.synth.fixtures` writes."""

import polars as pl
import yaml

from linkage.config import load_config
from linkage.synth.fixtures import DEMO_CONFIG, FIXTURES, PEOPLE, SEED, demo_config, load_summary


def test_demo_config_reads_every_fixture():
    summary = load_summary()
    assert summary["generator"]["people"] == PEOPLE and summary["generator"]["seed"] == SEED
    # the sources are as generated (other keys of demo.yaml may be tuned by hand)
    written = yaml.safe_load(DEMO_CONFIG.read_text(encoding="utf-8"))
    assert written["sources"] == yaml.safe_load(demo_config(summary))["sources"]
    config = load_config(DEMO_CONFIG)
    assert config.name == "demo" and config.output_dir() == FIXTURES.parents[1] / "out" / "demo"
    assert len({config.system_of(k) for k in config.sources}) == 9
    for source in config.sources.values():
        assert config.source_path(source).parent == FIXTURES
        assert config.source_path(source).is_file()


def test_fixtures_are_small_and_match_their_truth():
    summary = load_summary()
    truth = pl.read_parquet(FIXTURES / "truth.parquet")
    records = sum(t["records"] for t in summary["entity_types"].values())
    assert 2_000 <= records == truth.height <= 10_000
    assert sum(p.stat().st_size for p in FIXTURES.iterdir()) < 3_000_000

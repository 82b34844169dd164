"""One small synthetic dataset shared by the synth tests (generated once per session)."""

import pytest

from linkage.synth.generate import generate
from linkage.synth.noise import NoiseRates


@pytest.fixture(scope="session")
def dataset(tmp_path_factory):
    """(folder, summary) of `linkage synth --people 1500 --seed 11` written in chunks of 400 people
    by two worker processes, without damaged lines (every row reads; the damaged_row error is
    tested in test_writers.py and on the fixtures in tests/test_pipeline.py)."""
    out = tmp_path_factory.mktemp("synth")
    summary = generate(out, 1500, seed=11, chunk_people=400, workers=2,
                       rates=NoiseRates(damaged_row=0.0))
    return out, summary

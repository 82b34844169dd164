"""The background writer: jobs run in order on one thread and their errors reach the caller."""

import pytest

from linkage.synth.writers import Background


def test_background_runs_jobs_in_order_and_bounds_the_queue():
    done = []
    background = Background(depth=2)
    for i in range(20):
        background.submit(done.append, i)
        assert len(background.pending) <= 2
    background.finish()
    background.close()
    assert done == list(range(20))


def test_background_raises_the_first_error():
    def fail():
        raise OSError("disk full")

    background = Background()
    background.submit(fail)
    with pytest.raises(OSError, match="disk full"):
        background.finish()
    background.close()

"""Packed comparison levels (linkage.link.incremental): one int64 per pair, exactly reversible."""

import numpy as np
import pytest

from linkage.link.comparisons import compile_comparisons
from linkage.link.incremental import pack, packable, unpack
from linkage.link.settings import LinkageSettings


@pytest.mark.parametrize("k, high", [(1, 14), (9, 5), (16, 14)])
def test_pack_and_unpack_round_trip(k, high):
    rng = np.random.default_rng(k)
    gamma = rng.integers(-1, high + 1, (500, k)).astype(np.int8)
    gamma[0] = -1
    gamma[1] = high
    codes = pack(gamma)
    assert codes.dtype == np.int64 and len(np.unique(codes)) == len(np.unique(gamma, axis=0))
    assert (unpack(codes, k) == gamma).all()


def test_the_default_comparisons_fit_a_packed_code():
    for entity_type in ("person", "enterprise"):
        comparisons = compile_comparisons(LinkageSettings().resolved(entity_type).comparisons)
        assert packable(comparisons)
        assert not packable(comparisons * 9)  # more than 16 comparisons do not

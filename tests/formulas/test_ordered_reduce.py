"""numpy's add.reduce along the outermost axis of a C-ordered array adds slice after slice in
index order. The float64 weighted sums and back-propagated sums rely on it for their bits;
this fails if a numpy release changes it."""

from __future__ import annotations

import numpy as np
import pytest

from backtrace.formulas.numeric import FLOAT64, Numbers
from helpers import left_to_right, order_sensitive


@pytest.mark.parametrize("senders", [1, 2, 3, 7, 8, 9, 16, 17, 33, 65, 129])
@pytest.mark.parametrize("samples, units", [(1, 2), (2, 1), (1, 3), (4, 8), (32, 10), (10, 3)])
def test_outer_axis_reduce_adds_in_index_order(senders: int, samples: int, units: int) -> None:
    rng = np.random.default_rng(senders * 1000 + samples * 10 + units)
    products = np.ascontiguousarray(order_sensitive(rng, (senders, samples, units)))
    reduced = np.add.reduce(products, axis=0)
    for s in range(samples):
        for j in range(units):
            expected = left_to_right([float(products[k, s, j]) for k in range(senders)])
            assert reduced[s, j].tobytes() == np.float64(expected).tobytes()


@pytest.mark.parametrize("samples, senders, units", [(1, 3, 1), (1, 3, 3), (4, 4, 1), (1, 9, 1),
                                                      (10, 5, 8), (32, 65, 32), (32, 33, 10)])
def test_weighted_and_backpropagated_sums_match_the_ordered_sum(
    samples: int, senders: int, units: int
) -> None:
    rng = np.random.default_rng(samples + senders + units)
    z = order_sensitive(rng, (samples, senders))
    w = order_sensitive(rng, (units, senders))
    d = order_sensitive(rng, (samples, units))
    ordered = Numbers.weighted_sums(FLOAT64, z, w)
    assert FLOAT64.weighted_sums(z, w).tobytes() == ordered.tobytes()
    back = Numbers.backpropagated(FLOAT64, d, w)
    assert FLOAT64.backpropagated(d, w).tobytes() == back.tobytes()
    for s in range(samples):
        for j in range(units):
            terms = [float(w[j, k]) * float(z[s, k]) for k in range(senders)]
            assert ordered[s, j] == left_to_right(terms) or np.isnan(ordered[s, j])

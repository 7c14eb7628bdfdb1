"""A stream's draws at once are the draws one at a time would give (the vectorised batches keep
each stream's order, so switching between them changes no result)."""

import numpy as np
import pytest

from sendsim.engine.streams import Stream


def _pair(seed=5, block=64):
    ss = np.random.SeedSequence(seed)
    return Stream(ss, block=block), Stream(np.random.SeedSequence(seed), block=block)


@pytest.mark.parametrize("n", [0, 1, 63, 64, 65, 300])
def test_block_is_n_single_draws_across_refills(n):
    one, many = _pair()
    for _ in range(10):                       # start part-way through a buffer
        one.u()
        many.u()
    singles = [one.u() for _ in range(n)]
    assert many.block(n).tolist() == singles
    assert one.u() == many.u()                # and both carry on from the same place


@pytest.mark.parametrize("lo, mode, hi", [(4.0, 6.0, 10.0), (2.0, 2.0, 8.0), (1.0, 9.0, 9.0), (3.0, 3.0, 3.0)])
def test_triangular_many_is_n_single_draws(lo, mode, hi):
    one, many = _pair(seed=9)
    singles = [one.triangular(lo, mode, hi) for _ in range(150)]
    drawn = many.triangular_many(150, lo, mode, hi)
    assert drawn.tolist() == singles
    assert np.all((drawn >= lo) & (drawn <= hi))
    assert one.u() == many.u()


def test_choose_picks_what_choice_would_for_each_uniform():
    from sendsim.engine.streams import choose, cumulative
    cum, names = cumulative({"a": 0.2, "b": 0.0, "c": 0.5, "d": 0.3})
    one, many = _pair(seed=3)
    singles = [one.choice(cum, names) for _ in range(500)]
    assert [names[i] for i in choose(cum, many.block(500))] == singles
    assert set(singles) == {"a", "c", "d"}            # a zero share is never picked

"""fcnn._fast.cache: batches kept between fits of the same network change no number."""

from __future__ import annotations

import pickle

import numpy as np

import fcnn
from fcnn._fast import cache
from fcnn.data.training import Data


def _data(n: int = 100, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, 3)), rng.integers(0, 3, n)


FITS = [  # a loop of short fits that switches step paths between calls
    {"epochs": 1, "batch_size": 32, "lr": 0.1},  # plain SGD: the rate inside the products
    {"epochs": 1, "batch_size": 32, "optimizer": "adam", "lr": 0.01},  # readable path
    {"epochs": 2, "batch_size": 32, "lr": 0.3, "l2": 1e-3},  # folded
    {"epochs": 1, "lr": 0.2, "val_split": 0.2},  # full batch plus validation
    {"epochs": 1, "batch_size": 32, "lr": 0.1},
]


def _loop(clear: bool) -> tuple[np.ndarray, list[list[float]]]:
    X, y = _data()
    net, losses = fcnn.Network([3, 5, 3], seed=4), []
    for options in FITS:
        if clear:
            cache.clear(net)
        h = net.fit(X, y, **options)
        losses.append(h.loss + h.val_loss)
    return net.params.copy(), losses


def test_a_loop_of_fits_with_kept_batches_equals_one_that_builds_them_every_fit():
    kept, built = _loop(clear=False), _loop(clear=True)
    np.testing.assert_array_equal(kept[0], built[0])
    assert kept[1] == built[1]


def test_a_finished_fit_hands_its_batches_to_the_next_and_new_parameters_drop_them():
    X, y = _data()
    net = fcnn.Network([3, 5, 3], seed=0)
    net.fit(X, y, epochs=1, batch_size=32)
    data = Data(net, X, y, None)
    first = cache.take(net, 32, data, rows=True)
    cache.give_back(net, [first])
    assert cache.take(net, 32, data, rows=True) is first
    assert cache.take(net, 32, data, rows=True) is not first  # taken: a new one
    cache.give_back(net, [first])
    net.params = net.params.copy()  # another parameter array: the kept batches are stale
    assert cache.take(net, 32, data, rows=True) is not first


def test_a_pickled_network_carries_no_kept_batches():
    X, y = _data()
    net = fcnn.Network([3, 5, 3], seed=0)
    net.fit(X, y, epochs=1, batch_size=32)
    size = len(pickle.dumps(net))
    cache.clear(net)
    assert len(pickle.dumps(net)) == size


def test_a_pickled_network_holds_no_stale_memory():
    # two networks trained alike pickle to the same bytes: no buffer carries memory that
    # NumPy handed out unwritten (the scratch buffer once did, whatever the process had
    # freed there before)
    X, y = _data()
    junk = [np.full(4096, 7.0) for _ in range(64)]  # memory to free and hand out again
    del junk
    pickles = []
    for _ in range(2):
        net = fcnn.Network([3, 300, 3], seed=0)
        net.fit(X, y, epochs=1, batch_size=32)
        pickles.append(pickle.dumps(net))
    assert pickles[0] == pickles[1]

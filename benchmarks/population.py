"""K networks at once: ``fcnn.Population`` against K separate fits (and JAX's ``vmap`` of a
jitted step where JAX is installed).

    python benchmarks/population.py                # K = 256, 300 epochs, 5 rounds
    python benchmarks/population.py --K 64 --rounds 3

The workload is a seed study: K 2-2-2 tanh/softmax networks (seeds 0..K-1), full-batch
gradient descent at lr 0.1 for ``--epochs`` epochs on seed 000's two Gaussians (200 samples,
``benchmarks/peers.py seed_data``), float64 (or ``--dtype float32``). ``Population [fast]``
is the population with fcnn's fused compiled step (``FCNN_FUSED=1``, numba: the ``fast``
extra), compiled in the warm-up round; its members in shares on the threads fcnn's policy
gives them (``fcnn._fast.threads.for_members``: the process's cores, under the BLAS
count in force). ``[fast], 1 thread`` is the same under an outer limit of one thread, as the
separate fits run (a network this small takes one BLAS thread). The variants take turns in
every round; each time is the median over rounds, and "vs separate" the median of the
rounds' ratios of throughput (networks x epochs per second) over that of the separate fits.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import peers

HERE = Path(__file__).resolve().parent
try:
    import fcnn
except ImportError:  # not installed: the checkout's own source
    sys.path.insert(0, str(HERE.parent / "src"))
    import fcnn


DTYPE = "float64"


def separate(X: np.ndarray, y: np.ndarray, K: int, epochs: int) -> float:
    """Seconds for K lone fits, one after the other."""
    start = time.perf_counter()
    for seed in range(K):
        net = fcnn.Network([2, 2, 2], seed=seed, dtype=DTYPE)
        net.fit(X, y, epochs=epochs, lr=0.1, optimizer="gd", shuffle=False)
    return time.perf_counter() - start


def population(X: np.ndarray, y: np.ndarray, K: int, epochs: int) -> float:
    """Seconds for one population of K members, built and trained."""
    start = time.perf_counter()
    pop = fcnn.Population([2, 2, 2], seeds=range(K), dtype=DTYPE)
    pop.fit(X, y, epochs=epochs, lr=0.1, optimizer="gd")
    return time.perf_counter() - start


def population_fast(X: np.ndarray, y: np.ndarray, K: int, epochs: int) -> float:
    """:func:`population` with fcnn's fused compiled step (``FCNN_FUSED=1``, numba)."""
    before = os.environ.get("FCNN_FUSED")
    os.environ["FCNN_FUSED"] = "1"
    try:
        return population(X, y, K, epochs)
    finally:
        if before is None:
            del os.environ["FCNN_FUSED"]
        else:
            os.environ["FCNN_FUSED"] = before


def population_fast_one_thread(X: np.ndarray, y: np.ndarray, K: int, epochs: int) -> float:
    """:func:`population_fast` under an outer limit of one thread (``threadpoolctl``): all
    members on the calling thread, as the separate fits run."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1, user_api="blas"):
        return population_fast(X, y, K, epochs)


def jax_vmap(X: np.ndarray, y: np.ndarray, K: int, epochs: int):
    """A timer for JAX: ``vmap`` of a jitted full-batch step over K parameter sets, all
    epochs in one ``lax.fori_loop`` (compiled before timing); None without JAX."""
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)
    Xj = jnp.asarray(X, dtype=DTYPE)
    Y = jax.nn.one_hot(jnp.asarray(y), 2, dtype=DTYPE)

    def loss(p):
        h = jnp.tanh(Xj @ p["W1"].T + p["b1"])
        z = h @ p["W2"].T + p["b2"]
        return -jnp.mean(jnp.sum(Y * jax.nn.log_softmax(z), axis=1))

    grad = jax.grad(loss)

    def step(p):
        g = grad(p)
        return jax.tree_util.tree_map(lambda a, b: a - 0.1 * b, p, g)

    run = jax.jit(lambda ps: jax.lax.fori_loop(0, epochs, lambda _, q: jax.vmap(step)(q), ps))
    nets = [fcnn.Network([2, 2, 2], seed=s, dtype=DTYPE) for s in range(K)]
    ps = {
        "W1": jnp.stack([n.weights[0] for n in nets]),
        "b1": jnp.stack([n.biases[0] for n in nets]),
        "W2": jnp.stack([n.weights[1] for n in nets]),
        "b2": jnp.stack([n.biases[1] for n in nets]),
    }
    jax.block_until_ready(run(ps))  # compile

    def timed() -> float:
        start = time.perf_counter()
        jax.block_until_ready(run(ps))
        return time.perf_counter() - start

    return timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--K", type=int, default=256)
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--dtype", choices=("float64", "float32"), default="float64")
    parser.add_argument("--no-jax", action="store_true", help="leave JAX out even if installed")
    args = parser.parse_args()
    global DTYPE
    DTYPE = args.dtype
    X, y = peers.seed_data()
    K, E = args.K, args.epochs
    variants = {
        "separate fits": lambda: separate(X, y, K, E),
        "fcnn.Population": lambda: population(X, y, K, E),
    }
    if importlib.util.find_spec("numba") is not None:
        variants["Population [fast]"] = lambda: population_fast(X, y, K, E)
        variants["[fast], 1 thread"] = lambda: population_fast_one_thread(X, y, K, E)
    jax_timer = None if args.no_jax else jax_vmap(X, y, K, E)
    if jax_timer is not None:
        variants["JAX vmap+jit"] = jax_timer
    for run in variants.values():  # warm-up
        run()
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(args.rounds):
        for name, run in variants.items():
            times[name].append(run())
    base = times["separate fits"]
    print(
        f"K={K} 2-2-2 networks, {E} full-batch epochs on 200 samples, {DTYPE}, "
        f"medians of {args.rounds} interleaved rounds" + ("" if jax_timer else "; no JAX")
    )
    print(f"{'variant':<18} {'seconds':>9} {'net-epochs/s':>13} {'vs separate':>12}")
    for name, ts in times.items():
        t = statistics.median(ts)
        # throughput over the separate fits', the median of the rounds' ratios
        gain = statistics.median(b / x for b, x in zip(base, ts, strict=True))
        print(f"{name:<18} {t:9.3f} {K * E / t:13.0f} {gain:11.1f}x")


if __name__ == "__main__":
    main()

"""Does a compiled fused step pay? fcnn's NumPy step against a numba-compiled one, same data.

    python benchmarks/fused_step.py               # seed 2-2-2 network, float64, 9 rounds
    python benchmarks/fused_step.py --dtype float32 --rounds 5

Issue 19 asked for fused elementwise kernels (tanh with 1 - h², softmax, cross-entropy, the
delta and the accuracy count in one pass) compiled by numba. Before putting one inside fcnn,
this script measures what it would buy. Both variants compute the same step on seed 000's
two Gaussians (200 samples): forward, softmax cross-entropy, backward, the accuracy count.

- ``numpy``: fcnn's own compiled step (``fcnn._fast.step``), then the batch's accuracy count,
  exactly as the training loop calls them;
- ``numba``: one ``@njit`` call doing the same work layer by layer, loops over the batch
  innermost (vectorisable products and reductions), ``tanh`` from one ``exp``;
- ``transcendentals``: the floor under any scalar kernel, NumPy's and numba's ``tanh``/``exp``
  over as many entries as the step evaluates.

Each round times every variant in turn (interleaved); the figures are medians over rounds.
numba is an optional peer (the ``bench`` extra); without it the script says so and stops.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import peers
import peers_compiled

HERE = Path(__file__).resolve().parent
try:
    import fcnn
except ImportError:  # not installed: the checkout's own source
    sys.path.insert(0, str(HERE.parent / "src"))
    import fcnn  # noqa: F401 (found here, imported by what follows)


def numba_step():
    """The fused step of a tanh network with a softmax/cross-entropy output, compiled."""
    from numba import njit

    # no nnan/ninf: a NaN loss must stay visible
    fm = {"reassoc", "contract", "nsz", "arcp"}

    @njit(fastmath=fm)
    def _tanh(a):
        e = math.exp(-2.0 * abs(a))
        return math.copysign((1.0 - e) / (1.0 + e), a)

    @njit(fastmath=fm)
    def forward(params, h0, work, sizes, offs, B, W3):
        ao = 0
        for k in range(len(sizes) - 1):
            n_in, n_out = sizes[k], sizes[k + 1]
            for j in range(n_out):
                row, dst = offs[k] + j * (n_in + 1), ao + j * B
                for s in range(B):
                    work[dst + s] = params[row + n_in]
                for i in range(n_in):
                    w = params[row + i]
                    if k == 0:
                        for s in range(B):
                            work[dst + s] += w * h0[i * B + s]
                    else:
                        src = W3 + ao - n_in * B + i * B
                        for s in range(B):
                            work[dst + s] += w * work[src + s]
                if k < len(sizes) - 2:
                    for s in range(B):
                        work[W3 + dst + s] = _tanh(work[dst + s])
            ao += n_out * B
        return ao

    @njit(fastmath=fm)
    def softmax_ce(work, Y, labels, out, go, n_l, B, dscale):
        loss, correct = 0.0, 0
        for s in range(B):
            m = work[out + s]
            for j in range(1, n_l):
                m = max(m, work[out + j * B + s])
            total, yz = 0.0, 0.0
            for j in range(n_l):
                e = math.exp(work[out + j * B + s] - m)
                work[go + j * B + s] = e
                total += e
                yz += Y[j, s] * work[out + j * B + s]
            loss += m + math.log(total) - yz
            best, best_p = 0, -1.0
            for j in range(n_l):
                p = work[go + j * B + s] / total
                if p > best_p:
                    best, best_p = j, p
                work[go + j * B + s] = (p - Y[j, s]) * dscale
            correct += best == labels[s]
        return loss, correct

    @njit(fastmath=fm)
    def backward(params, grad, h0, work, sizes, offs, B, W3, top):
        for k in range(len(sizes) - 2, -1, -1):
            n_in, n_out = sizes[k], sizes[k + 1]
            top -= n_out * B
            g = 2 * W3 + top
            for j in range(n_out):
                row, gr = offs[k] + j * (n_in + 1), g + j * B
                for i in range(n_in):
                    acc = 0.0
                    for s in range(B):
                        x = h0[i * B + s] if k == 0 else work[W3 + top - n_in * B + i * B + s]
                        acc += work[gr + s] * x
                    grad[row + i] = acc
                acc = 0.0
                for s in range(B):
                    acc += work[gr + s]
                grad[row + n_in] = acc
            if k > 0:
                below = top - n_in * B
                for i in range(n_in):
                    gb, hb = 2 * W3 + below + i * B, W3 + below + i * B
                    for s in range(B):
                        work[gb + s] = 0.0
                    for j in range(n_out):
                        w = params[offs[k] + j * (n_in + 1) + i]
                        for s in range(B):
                            work[gb + s] += w * work[g + j * B + s]
                    for s in range(B):
                        h = work[hb + s]
                        work[gb + s] *= 1.0 - h * h

    @njit(fastmath=fm)
    def step(params, grad, h0, Y, labels, work, sizes, offs, dscale):
        B = labels.size
        W3 = B * (sizes[1:].sum())
        ao = forward(params, h0, work, sizes, offs, B, W3)
        n_l = sizes[-1]
        loss, correct = softmax_ce(
            work, Y, labels, ao - n_l * B, 2 * W3 + ao - n_l * B, n_l, B, dscale
        )
        backward(params, grad, h0, work, sizes, offs, B, W3, ao)
        return loss, correct

    return step


def timed(fn, n: int) -> float:
    """µs per call of ``fn`` over ``n`` calls."""
    t0 = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t0) / n * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--dtype", default="float64", choices=("float32", "float64"))
    args = parser.parse_args()
    try:
        step = numba_step()
    except ImportError:
        print("numba is not installed (pip install 'fcnn[bench]'): nothing to compare")
        return
    from fcnn._fast import cache
    from fcnn.train import Trainer

    X, y = peers.seed_data()
    net = peers_compiled.seed_network(0, args.dtype)
    trainer = Trainer(net, X, y, epochs=1, lr=0.1, optimizer="gd", shuffle=False)
    trainer.run()
    ws = cache.take(net, len(X), trainer.data)
    ws.gather(trainer.data, None)
    plan, count = trainer._plan.step, ws.correct
    B, dt = len(X), net.dtype
    sizes = np.array(net.sizes, np.int64)
    blocks = [n * (m + 1) for m, n in zip(net.sizes[:-1], net.sizes[1:], strict=True)]
    offs = np.cumsum([0] + blocks)[:-1].astype(np.int64)
    h0, Y, labels = ws.H[0].ravel(), ws.Y, trainer.data.labels
    params, grad = net.params.copy(), np.zeros_like(net.params)
    work = np.zeros(3 * B * int(sizes[1:].sum()), dt)
    loss, correct = step(params, grad, h0, Y, labels, work, sizes, offs, 1 / B)
    net.params[...] = params
    check = net.loss(X, y) * B
    print(f"numba step: loss {loss:.12g} (fcnn {check:.12g}), correct {correct}")
    entries = np.linspace(-3, 3, B * 4).astype(dt)  # tanh of 2x200 + exp of 2x200
    out = np.empty_like(entries)
    variants = {
        "numpy step + count": lambda: (plan(ws, 0.1), count()),
        "numba fused step": lambda: step(params, grad, h0, Y, labels, work, sizes, offs, 0.1 / B),
        "numpy tanh, 800 entries": lambda: np.tanh(entries, out=out),
    }
    rounds: dict[str, list[float]] = {k: [] for k in variants}
    for _ in range(args.rounds):
        for name, fn in variants.items():
            rounds[name].append(timed(fn, args.calls))
    base = rounds["numpy step + count"]
    for name, times in rounds.items():
        ratio = statistics.median(t / b for t, b in zip(times, base, strict=True))
        print(f"{name:26s} {statistics.median(times):8.2f} µs   / numpy step {ratio:.3f}")


if __name__ == "__main__":
    main()

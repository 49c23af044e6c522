"""Why backprop is cheap, and how gradients shrink with depth (docs/math.md §2.6 and §5.1).

1. Cost: the multiply-adds of one backward pass against the 2P forward passes that central
   differences need, for a network of MNIST's size (``Network.n_params``).
2. Depth: the norms of the carried gradient ``g = ∇_{a^(k)} J`` in a network of 20 hidden
   layers of 32 units (tanh with Xavier weights times 0.5, 1 and 3; sigmoid with Xavier
   weights), layer by layer, on 200 random samples, and the product of the mean ``f'(a^(k))``.

    python examples/math/depth_and_cost.py
"""

from __future__ import annotations

import numpy as np
from _fmt import num, sci

import fcnn
from fcnn import reference

DEPTH, WIDTH, N_IN = 20, 32, 16


def cost() -> None:
    sizes = [784, 100, 10]
    P = fcnn.Network(sizes).n_params
    # per sample: forward Σ n_k n_{k-1} multiply-adds ≈ P; backward g hᵀ and Wᵀ g ≈ 2P
    print(
        f"For a {'-'.join(map(str, sizes))} network, $P = {P:,}$ parameters: backprop costs "
        f"about $3P = {3 * P:,}$ multiply-adds per sample, central differences "
        f"$2P$ forward passes of $P$ each, $2P^2 = {sci(2 * P * P, 2)}$: about "
        f"${round(2 * P * P / (3 * P)):,}$ times more."
    )


CASES = (("tanh", 0.5), ("tanh", 1.0), ("tanh", 3.0), ("sigmoid", 1.0))


def deltas(act: str, gain: float, X: np.ndarray, labels: np.ndarray) -> tuple[list, list]:
    """``||∇_{a^(k)} J||_F`` and the mean of ``f'(a^(k))`` for k = 1..DEPTH: Algorithm 2 line
    by line on fcnn.reference's forward pass, for Xavier weights times ``gain``. The weight
    gradients it ends with are checked against ``Network.gradients``."""
    net = fcnn.Network([N_IN] + [WIDTH] * DEPTH + [2], act, reduction="sum", seed=1)
    for W in net.weights:
        W *= gain
    Ws, bs = [W.copy() for W in net.weights], [b.copy() for b in net.biases]
    a, h = reference.forward(Ws, bs, X.T, net.activations)
    _, g = reference.loss_gradient("cross_entropy", "softmax", a[-1], np.eye(2)[:, labels])
    f = fcnn.activations.get(act)
    norm, mean_df = [0.0] * (DEPTH + 1), [0.0] * (DEPTH + 1)
    g = Ws[DEPTH].T @ g  # Alg. 2 line 5
    for k in range(DEPTH, 0, -1):
        df = f.df(a[k], h[k])
        g = g * df  # line 7
        norm[k], mean_df[k] = float(np.linalg.norm(g)), float(df.mean())
        dW1 = g @ h[k - 1].T  # line 10
        g = Ws[k - 1].T @ g  # line 11
    np.testing.assert_allclose(dW1, net.gradients(X, labels)[0][0], rtol=1e-10, atol=1e-300)
    return norm, mean_df


def depth() -> None:
    rng = np.random.default_rng(0)
    X, labels = rng.standard_normal((200, N_IN)), rng.integers(0, 2, 200)
    results = [deltas(act, gain, X, labels) for act, gain in CASES]
    for k in (DEPTH, 15, 10, 5, 1):
        cells = " | ".join(f"${sci(norm[k], 1)}$" for norm, _ in results)
        print(f"| $\\lVert \\nabla_{{a^{{({k})}}}} J \\rVert_F$ | {cells} |")
    cells = " | ".join(f"${sci(float(np.prod(m[1:])), 1)}$" for _, m in results)
    print(f"| $\\prod_k \\overline{{f'(a^{{(k)}})}}$ | {cells} |")
    cells = " | ".join(f"${num((n[1] / n[DEPTH]) ** (1 / (DEPTH - 1)), 2)}$" for n, _ in results)
    print(f"| factor per layer | {cells} |")


def main() -> None:
    cost()
    depth()


if __name__ == "__main__":
    main()

"""The peers fcnn is measured against: PyTorch eager, scikit-learn, and the matrix-product bound.

Every timing function builds its own model outside the clock, times only the training, and
returns seconds per unit of work (one gradient step, or one epoch). Repeats, warm-up and the
median are the caller's job (``benchmarks/run.py``).

PyTorch and scikit-learn are optional: ``torch`` or ``MLPClassifier`` is ``None`` where the
package is missing, and the caller reports "not installed".
"""

import time
import warnings

import numpy as np

try:
    import torch
except ImportError:
    torch = None

try:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier
except ImportError:
    MLPClassifier = None


def seed_data(n: int = 200, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two 2-D Gaussians (means -1 and +1, unit variance), half each.

    Returns X: (n, 2) float64 and y: (n,) int64 labels in {0, 1}.
    """
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(2), [n // 2, n - n // 2])
    X = rng.standard_normal((n, 2)) + np.where(y[:, None] == 0, -1.0, 1.0)
    return X, y


def synthetic(n: int, d: int, classes: int = 10, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Random float32 features and random labels.

    X is drawn straight into float32 (no float64 temporary), so the memory workload's
    baseline is not inflated. Returns X: (n, d) float32 and y: (n,) int64 in [0, classes).
    """
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d), dtype=np.float32)
    return X, rng.integers(0, classes, n)


def batch_sizes(n: int, batch: int) -> list[int]:
    """Sizes of the mini-batches of one epoch, the last partial batch included."""
    return [min(batch, n - i) for i in range(0, n, batch)]


def set_torch_threads(n: int) -> None:
    """Give PyTorch the same intra-op thread count as NumPy's BLAS."""
    if torch is not None:
        torch.set_num_threads(n)


def _torch_model(sizes, dtype):
    """``Linear, Tanh, Linear, ..., Linear`` for layer widths ``sizes``."""
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
        layers += [torch.nn.Linear(n_in, n_out, dtype=dtype), torch.nn.Tanh()]
    return torch.nn.Sequential(*layers[:-1])


def torch_seed(
    X: np.ndarray, y: np.ndarray, steps: int, lr: float = 0.1, threads: int | None = None
) -> float:
    """Seconds per full-batch gradient step of the 2-2-2 seed network, float64.

    ``threads`` sets PyTorch's intra-op threads for this run only (None: as they are). At this
    size one thread is PyTorch's fastest setting: the tensors are far below its parallel grain,
    so a second thread only adds synchronisation.
    """
    before = torch.get_num_threads()
    torch.set_num_threads(threads or before)
    try:
        torch.manual_seed(0)
        model = _torch_model([2, 2, 2], torch.float64)
        opt = torch.optim.SGD(model.parameters(), lr=lr)
        loss_fn = torch.nn.CrossEntropyLoss()
        Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
        t0 = time.perf_counter()
        for _ in range(steps):
            opt.zero_grad()
            loss_fn(model(Xt), yt).backward()
            opt.step()
        return (time.perf_counter() - t0) / steps
    finally:
        torch.set_num_threads(before)


def torch_trainer(
    X: np.ndarray,
    y: np.ndarray,
    sizes,
    lr: float = 0.01,
    batch: int = 128,
    compile_loss: bool = False,
):
    """A function that trains one shuffled mini-batch SGD epoch (float32, no momentum);
    with ``compile_loss`` the loss function (model and cross-entropy) runs under
    ``torch.compile(dynamic=False)``. ``epoch.model``, ``.opt`` and ``.loss`` are its parts."""
    torch.manual_seed(0)
    model = _torch_model(sizes, torch.float32)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    loss_fn = torch.nn.CrossEntropyLoss()
    if compile_loss:
        loss = torch.compile(lambda xb, yb: loss_fn(model(xb), yb), dynamic=False)
    else:
        loss = lambda xb, yb: loss_fn(model(xb), yb)  # noqa: E731
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    gen = torch.Generator().manual_seed(0)

    def epoch():
        perm = torch.randperm(len(Xt), generator=gen)
        for i in range(0, len(Xt), batch):
            idx = perm[i : i + batch]
            opt.zero_grad()
            loss(Xt[idx], yt[idx]).backward()
            opt.step()

    epoch.model, epoch.opt, epoch.loss = model, opt, loss
    return epoch


def torch_mlp(X: np.ndarray, y: np.ndarray, sizes, epochs: int, batch: int = 128) -> float:
    """Seconds per epoch of ``torch_trainer``."""
    epoch = torch_trainer(X, y, sizes, batch=batch)
    t0 = time.perf_counter()
    for _ in range(epochs):
        epoch()
    return (time.perf_counter() - t0) / epochs


def _sklearn_fit(X, y, epochs: int, **kw) -> float:
    """Seconds per iteration (epoch) of ``MLPClassifier(**kw).fit``, stopping never early."""
    clf = MLPClassifier(
        activation="tanh",
        solver="sgd",
        momentum=0,
        alpha=0,
        max_iter=epochs,
        tol=0,
        n_iter_no_change=10**9,
        random_state=0,
        **kw,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        t0 = time.perf_counter()
        clf.fit(X, y)
        return (time.perf_counter() - t0) / clf.n_iter_


def sklearn_seed(X: np.ndarray, y: np.ndarray, steps: int, lr: float = 0.1) -> float:
    """Seconds per full-batch step: one batch of all samples, so one iteration is one step.

    With two classes scikit-learn uses one logistic output unit, not a 2-unit softmax.
    """
    kw = dict(hidden_layer_sizes=(2,), batch_size=len(X), shuffle=False)
    return _sklearn_fit(X, y, steps, learning_rate_init=lr, **kw)


def sklearn_mlp(X: np.ndarray, y: np.ndarray, sizes, epochs: int, batch: int = 128) -> float:
    """Seconds per shuffled mini-batch SGD epoch; the input dtype (float32) is kept."""
    kw = dict(hidden_layer_sizes=tuple(sizes[1:-1]), batch_size=batch, shuffle=True)
    return _sklearn_fit(X, y, epochs, learning_rate_init=0.01, **kw)


LAYOUTS = ("rows", "columns")


def _gemm_buffers(sizes, b: int, rng, layout: str) -> tuple[list, list]:
    """Activations H_k for every layer and output gradients G_k, k >= 1: ``(b, n_k)`` with the
    samples as rows, ``(n_k, b)`` with the samples as columns."""
    shape = (lambda n: (b, n)) if layout == "rows" else (lambda n: (n, b))
    H = [rng.standard_normal(shape(n), dtype=np.float32) for n in sizes]
    return H, [np.empty_like(h) for h in H[1:]]


def gemm_bound(sizes, n: int, batch: int = 128, layout: str = "rows", product=np.matmul) -> float:
    """Seconds for exactly the matrix products backprop needs in one epoch (float32, ``out=``).

    W_k: (n_k, n_{k-1}). Per layer k and batch, with the samples as rows (the API's layout, and
    NumPy's, scikit-learn's and PyTorch's): A_k = H_{k-1} @ W_k.T, dW_k = G_k.T @ H_{k-1}, and
    G_{k-1} = G_k @ W_k for every layer but the first. With the samples as columns (seed 002's
    layout, and fcnn's workspaces) the same products read A_k = W_k @ H_{k-1},
    dW_k = G_k @ H_{k-1}.T and G_{k-1} = W_k.T @ G_k. ``product`` is ``np.matmul`` or ``np.dot``
    (cheaper to call on small matrices; every operand here is contiguous or a transpose, which
    it takes without a copy). Buffers are allocated outside the clock.
    """
    rng = np.random.default_rng(0)
    sizes_b = batch_sizes(n, batch)
    buffers = {b: _gemm_buffers(sizes, b, rng, layout) for b in set(sizes_b)}
    for H, G in buffers.values():
        G[-1][:] = H[-1]
    # float32 like everything else: dividing by np.sqrt(k), a float64 NumPy scalar, made W float64
    # and every product a float64 one on converted copies
    W = [
        rng.standard_normal((m, k), dtype=np.float32) / np.float32(np.sqrt(k))
        for k, m in zip(sizes[:-1], sizes[1:], strict=True)
    ]
    assert all(w.dtype == np.float32 for w in W)
    dW = [np.empty_like(w) for w in W]
    rows = layout == "rows"
    t0 = time.perf_counter()
    for b in sizes_b:
        H, G = buffers[b]
        for k, w in enumerate(W):
            if rows:
                product(H[k], w.T, out=H[k + 1])
            else:
                product(w, H[k], out=H[k + 1])
        for k in reversed(range(len(W))):
            if rows:
                product(G[k].T, H[k], out=dW[k])
                if k:
                    product(G[k], W[k], out=G[k - 1])
            else:
                product(G[k], H[k].T, out=dW[k])
                if k:
                    product(W[k].T, G[k], out=G[k - 1])
    return time.perf_counter() - t0


def fastest_gemm_bound(sizes, n: int, batch: int = 128) -> float:
    """The fastest :func:`gemm_bound` over both layouts and both product functions: the bound
    does not depend on the layout fcnn chose, and a layout or function the BLAS happens to
    prefer does not flatter fcnn's ratio."""
    return min(
        gemm_bound(sizes, n, batch, layout, product)
        for layout in LAYOUTS
        for product in (np.matmul, np.dot)
    )

"""Compiled peers of ``benchmarks/run.py``: JAX (CPU), numba and ``torch.compile``.

Each ``*_timer`` function builds and compiles its peer outside the clock and returns a
function that runs the workload once and returns seconds per unit (one step, or one epoch),
as the timing functions of ``peers.py`` do. All are optional: ``jax`` and ``numba`` are
``None`` where the package is missing (the ``bench`` extra installs both), and the caller
reports why a peer is absent.

- seed 2-2-2 network (float64, full batch, gd lr 0.1): JAX ``jit`` of a ``lax.fori_loop``
  over all steps, and one numba ``@njit`` function doing all steps sample by sample (the
  "limit" of issue 19: no call overhead at all). Both start from fcnn's initial weights, so
  their loss after the run can be checked against fcnn's (``check_seed``).
- MNIST-1D and MNIST shapes (float32, shuffled batches of 128, sgd lr 0.01): a jitted JAX
  step per mini-batch, a JAX ``lax.scan`` over an epoch, and ``torch.compile`` of the loss
  (forward and, through AOTAutograd, backward; the optimiser step stays eager).
"""

import time

import numpy as np
import peers

try:
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)  # the seed network is float64
except ImportError:
    jax = jnp = None

try:
    import numba
except ImportError:
    numba = None

torch = peers.torch


# ---- seed network: initial weights, loss ----


def seed_network(seed: int = 0, dtype: str = "float64"):
    """The fcnn 2-2-2 seed network that ``run.fcnn_seed`` times (float64 there)."""
    import fcnn

    return fcnn.Network(
        [2, 2, 2],
        activation="tanh",
        output="softmax",
        loss="cross_entropy",
        reduction="mean",
        init="xavier",
        seed=seed,
        dtype=dtype,
    )


def seed_init(seed: int = 0) -> list[np.ndarray]:
    """fcnn's initial [W1, b1, W2, b2] of the 2-2-2 seed network (as ``run.fcnn_seed``)."""
    net = seed_network(seed)
    return [np.array(a) for pair in zip(net.weights, net.biases, strict=True) for a in pair]


def seed_loss(X: np.ndarray, y: np.ndarray, params) -> float:
    """Mean cross-entropy of the 2-2-2 tanh/softmax network with ``params`` = [W1, b1, W2, b2]."""
    W1, b1, W2, b2 = (np.asarray(p) for p in params)
    z = np.tanh(X @ W1.T + b1) @ W2.T + b2
    z = z - z.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    return float(-logp[np.arange(len(y)), y].mean())


# ---- JAX ----


def _jax_loss(p, X, Y):
    """Mean cross-entropy of a tanh MLP; ``p`` is a list of (W, b), W: (n_out, n_in)."""
    h = X
    for W, b in p[:-1]:
        h = jnp.tanh(h @ W.T + b)
    W, b = p[-1]
    return -jnp.mean(jnp.sum(Y * jax.nn.log_softmax(h @ W.T + b), axis=1))


def _jax_sgd(p, X, Y, lr):
    g = jax.grad(_jax_loss)(p, X, Y)
    return jax.tree_util.tree_map(lambda a, d: a - lr * d, p, g)


def jax_seed_run(X: np.ndarray, y: np.ndarray, steps: int, lr: float = 0.1):
    """A jitted function params -> params doing ``steps`` full-batch gd steps in one
    ``lax.fori_loop``, and fcnn's initial params as JAX arrays (float64)."""
    Xj = jnp.asarray(X, dtype=jnp.float64)
    Y = jax.nn.one_hot(jnp.asarray(y), 2, dtype=jnp.float64)
    W1, b1, W2, b2 = (jnp.asarray(a) for a in seed_init())
    run = jax.jit(lambda p: jax.lax.fori_loop(0, steps, lambda _, q: _jax_sgd(q, Xj, Y, lr), p))
    return run, [(W1, b1), (W2, b2)]


def jax_seed_timer(X: np.ndarray, y: np.ndarray, steps: int):
    """Seconds per step of :func:`jax_seed_run` (compiled before timing); the params after
    the run are kept in ``timer.params`` for :func:`check_seed`."""
    run, p0 = jax_seed_run(X, y, steps)
    timer_params = jax.block_until_ready(run(p0))  # compile

    def timer() -> float:
        t0 = time.perf_counter()
        jax.block_until_ready(run(p0))
        return (time.perf_counter() - t0) / steps

    timer.params = [np.asarray(a) for pair in timer_params for a in pair]
    return timer


def jax_gradients(weights, biases, X: np.ndarray, y: np.ndarray) -> tuple[list, list]:
    """(dWs, dbs) of the mean cross-entropy, by ``jax.grad`` of the loss the peers train."""
    Y = jax.nn.one_hot(jnp.asarray(y), len(biases[-1]), dtype=X.dtype)
    p = [(jnp.asarray(W), jnp.asarray(b)) for W, b in zip(weights, biases, strict=True)]
    g = jax.jit(jax.grad(_jax_loss))(p, jnp.asarray(X), Y)
    return [np.asarray(W) for W, _ in g], [np.asarray(b) for _, b in g]


def _jax_mlp_init(sizes, dtype=np.float32) -> list:
    rng = np.random.default_rng(0)
    return [
        (
            jnp.asarray(rng.standard_normal((m, k), dtype=dtype) / dtype(np.sqrt(k))),
            jnp.zeros(m, dtype=dtype),
        )
        for k, m in zip(sizes[:-1], sizes[1:], strict=True)
    ]


def jax_mlp_timer(X: np.ndarray, y: np.ndarray, sizes, epochs: int, scan: bool, batch=128):
    """Seconds per shuffled mini-batch SGD epoch (float32, lr 0.01) in JAX.

    ``scan=False``: one jitted step per batch, called from Python; the batch is gathered
    inside the step from the data held as JAX arrays and a NumPy permutation's indices.
    ``scan=True``: one jitted epoch, a ``lax.scan`` over the full batches and one step on the
    tail batch. Both shapes are compiled before timing.
    """
    Xj, Y = jnp.asarray(X), jax.nn.one_hot(jnp.asarray(y), sizes[-1], dtype=jnp.float32)
    step = jax.jit(lambda p, idx: _jax_sgd(p, Xj[idx], Y[idx], np.float32(0.01)))
    n, full = len(X), len(X) // batch * batch

    def scan_epoch(p, perm):
        body = lambda q, idx: (_jax_sgd(q, Xj[idx], Y[idx], np.float32(0.01)), None)  # noqa: E731
        p, _ = jax.lax.scan(body, p, perm[:full].reshape(-1, batch))
        return _jax_sgd(p, Xj[perm[full:]], Y[perm[full:]], np.float32(0.01)) if full < n else p

    jit_epoch = jax.jit(scan_epoch)
    rng = np.random.default_rng(0)
    state = {"p": _jax_mlp_init(sizes)}

    def epoch():
        perm = rng.permutation(n)
        if scan:
            state["p"] = jit_epoch(state["p"], perm)
        else:
            for i in range(0, n, batch):
                state["p"] = step(state["p"], perm[i : i + batch])
        jax.block_until_ready(state["p"])

    epoch()  # compile every shape

    def timer() -> float:
        t0 = time.perf_counter()
        for _ in range(epochs):
            epoch()
        return (time.perf_counter() - t0) / epochs

    return timer


# ---- numba: the seed network's whole run in one compiled loop ----

# lazy: compiled on the first call, never at import; plain Python without numba (unused then)
_njit = numba.njit if numba is not None else (lambda f: f)


@_njit
def _seed_loop(XT, y, W1, b1, W2, b2, steps, lr):
    """``steps`` full-batch gd steps of a tanh/softmax 1-hidden-layer network, in place.

    ``XT``: (d, n), the samples as columns, so every inner loop runs over the samples (the
    faster layout here: 10 µs/step against 14.6 with one sample at a time). Per step:
    forward, softmax and delta, backward, each gradient summed and applied at once with the
    mean's 1/n. Nothing is allocated per step.
    """
    d, n = XT.shape
    m, c = W1.shape[0], W2.shape[0]
    H, Z, D = np.empty((m, n)), np.empty((c, n)), np.empty((m, n))
    scale = lr / n
    for _ in range(steps):
        for j in range(m):
            for i in range(n):
                a = b1[j]
                for k in range(d):
                    a += W1[j, k] * XT[k, i]
                H[j, i] = np.tanh(a)
        for j in range(c):
            for i in range(n):
                a = b2[j]
                for k in range(m):
                    a += W2[j, k] * H[k, i]
                Z[j, i] = a
        for i in range(n):  # softmax, then delta = p - onehot(y)
            top = Z[0, i]
            for j in range(1, c):
                top = max(top, Z[j, i])
            total = 0.0
            for j in range(c):
                Z[j, i] = np.exp(Z[j, i] - top)
                total += Z[j, i]
            for j in range(c):
                Z[j, i] = Z[j, i] / total - (1.0 if j == y[i] else 0.0)
        for k in range(m):  # hidden delta, before W2 moves
            for i in range(n):
                a = 0.0
                for j in range(c):
                    a += W2[j, k] * Z[j, i]
                D[k, i] = a * (1.0 - H[k, i] * H[k, i])
        _seed_update(W2, b2, Z, H, scale)
        _seed_update(W1, b1, D, XT, scale)


@_njit
def _seed_update(W, b, G, A, scale):
    """W -= scale * G @ A.T and b -= scale * G.sum(1), summed over the samples (columns)."""
    for j in range(W.shape[0]):
        s = 0.0
        for i in range(G.shape[1]):
            s += G[j, i]
        b[j] -= scale * s
        for k in range(W.shape[1]):
            s = 0.0
            for i in range(G.shape[1]):
                s += G[j, i] * A[k, i]
            W[j, k] -= scale * s


def numba_seed_timer(X: np.ndarray, y: np.ndarray, steps: int):
    """Seconds per step of :func:`_seed_loop` (compiled by numba before timing,
    not cached on disk), from fcnn's initial weights each run; the params after the run are
    kept in ``timer.params``."""
    loop = _seed_loop
    Xc, yc = np.ascontiguousarray(X.T, dtype=np.float64), np.ascontiguousarray(y, dtype=np.int64)
    p0 = seed_init()
    loop(Xc, yc, *[a.copy() for a in p0], 1, 0.1)  # compile

    def timer() -> float:
        p = [a.copy() for a in p0]
        t0 = time.perf_counter()
        loop(Xc, yc, *p, steps, 0.1)
        elapsed = time.perf_counter() - t0
        timer.params = p
        return elapsed / steps

    timer()
    return timer


# ---- torch.compile ----


def torch_compiled_timer(X: np.ndarray, y: np.ndarray, sizes, epochs: int, batch: int = 128):
    """Seconds per shuffled mini-batch SGD epoch (float32, lr 0.01) with the loss function
    (model and cross-entropy) under ``torch.compile(dynamic=False)``; the full and the tail
    batch shape are compiled before timing. ``timer.compile_s`` is the compile time."""
    epoch = peers.torch_trainer(X, y, sizes, batch=batch, compile_loss=True)
    model, opt, loss = epoch.model, epoch.opt, epoch.loss

    t0 = time.perf_counter()
    epoch()  # compile both shapes
    compile_s = time.perf_counter() - t0

    def timer() -> float:
        t0 = time.perf_counter()
        for _ in range(epochs):
            epoch()
        return (time.perf_counter() - t0) / epochs

    def gradients(weights, biases, Xb: np.ndarray, yb: np.ndarray) -> tuple[list, list]:
        """(dWs, dbs) of the compiled loss at these weights; they stay in the model."""
        linear = [m for m in model if isinstance(m, torch.nn.Linear)]
        with torch.no_grad():
            for m, W, b in zip(linear, weights, biases, strict=True):
                m.weight.copy_(torch.from_numpy(W))
                m.bias.copy_(torch.from_numpy(b))
        opt.zero_grad()
        loss(torch.from_numpy(Xb), torch.from_numpy(yb)).backward()
        return [m.weight.grad.numpy().copy() for m in linear], [
            m.bias.grad.numpy().copy() for m in linear
        ]

    timer.compile_s, timer.gradients = compile_s, gradients
    return timer

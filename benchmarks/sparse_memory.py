"""Memory of training on sparse TF-IDF input: a 100,000 x 50,000 matrix at 0.1% density.

    python benchmarks/sparse_memory.py [--rows N] [--cols N] [--hidden N] [--epochs N]

Generates text (50 random words from a vocabulary of ``cols`` per document, two classes that
favour two halves of the vocabulary), vectorises it with scikit-learn's ``TfidfVectorizer``,
saves the matrix, and trains ``FCNNClassifier`` on it in a fresh process, sampling that
process's RSS every 2 ms. Prints one JSON line: the matrix's bytes (data, indices, indptr),
the parameters' bytes, the resident memory that loading the matrix and fitting added above
the process before (after a small fit has loaded the modules a fit imports), and their ratio
``peak / (matrix + parameters)``. ``tests/test_sparse.py`` runs it and requires the ratio
below 2.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np


def make_matrix(rows: int, cols: int, words: int, path: Path) -> None:
    """Write the TF-IDF matrix of generated text and its labels to ``path`` (npz)."""
    import scipy.sparse
    from sklearn.feature_extraction.text import TfidfVectorizer

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, rows)
    # class c draws 60% of its words from its half of the vocabulary
    half = cols // 2
    ids = rng.integers(0, half, (rows, words)) + np.where(
        rng.random((rows, words)) < 0.6, y[:, None] * half, (1 - y[:, None]) * half
    )
    docs = (" ".join(f"w{i}" for i in row) for row in ids)
    X = TfidfVectorizer(dtype=np.float64).fit_transform(docs).tocsr()
    scipy.sparse.save_npz(path, X, compressed=False)
    np.save(path.with_suffix(".y.npy"), y)


def train(path: Path, hidden: int, epochs: int) -> dict[str, float]:
    """Load the matrix and fit on it; the RSS added by loading and fitting, at its peak."""
    import warnings

    import psutil
    import scipy.sparse

    from fcnn.sklearn import FCNNClassifier

    proc = psutil.Process()
    # a small fit first, so that the modules a fit imports are loaded before the baseline
    warm = scipy.sparse.random(50, 20, density=0.2, format="csr", random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        FCNNClassifier(hidden_layer_sizes=(2,), max_iter=1).fit(warm, np.arange(50) % 2)
    before = proc.memory_info().rss
    X = scipy.sparse.load_npz(path)
    y = np.load(path.with_suffix(".y.npy"))
    matrix = X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    peak, done = [proc.memory_info().rss], threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak.append(proc.memory_info().rss)
            time.sleep(0.002)

    thread = threading.Thread(target=sample)
    thread.start()
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning after a few epochs
        est = FCNNClassifier(hidden_layer_sizes=(hidden,), max_iter=epochs, random_state=0)
        est.fit(X, y)
    seconds = time.perf_counter() - start
    done.set()
    thread.join()
    accuracy = float(est.score(X, y))  # after the fit's peak: predicting is not training
    params = est.network_.params.nbytes
    added = max(peak) - before
    return {
        "hidden": hidden,
        "epochs": epochs,
        "shape": list(X.shape),
        "density": X.nnz / (X.shape[0] * X.shape[1]),
        "matrix_mb": matrix / 2**20,
        "params_mb": params / 2**20,
        "peak_added_mb": added / 2**20,
        "ratio": added / (matrix + params),
        "accuracy": accuracy,
        "seconds": seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--cols", type=int, default=50_000)
    parser.add_argument("--words", type=int, default=50)
    parser.add_argument("--hidden", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--train", type=Path, help=argparse.SUPPRESS)  # the child process
    args = parser.parse_args()
    if args.train:
        print(json.dumps(train(args.train, args.hidden, args.epochs)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "tfidf.npz"
        make_matrix(args.rows, args.cols, args.words, path)
        cmd = [sys.executable, __file__, "--train", str(path)]
        cmd += ["--hidden", str(args.hidden), "--epochs", str(args.epochs)]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    print(out.strip().splitlines()[-1])


if __name__ == "__main__":
    main()

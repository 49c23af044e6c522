"""The commands of ``fcnn``: what ``train``, ``evaluate``, ``predict`` and ``gradcheck`` do
with the arguments ``fcnn.cli.parser`` parsed.

Plumbing only: configs resolve in ``fcnn.runs.config``, run folders live in ``fcnn.runs``, metrics
come from ``fcnn.metrics`` and the math from the library. Each command returns its exit code
(``OK``, ``FAILED``, ``INTERRUPTED``) and raises on bad input; ``fcnn.cli.main`` turns the
error into one line on stderr.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import functools
import io as _stringio
import sys
from pathlib import Path
from typing import Any

import numpy as np

from .. import metrics, reporting, runs
from ..data.datasets import Dataset, fit_standardize, load_features, standardize
from ..diagnostics import Diagnostics
from ..gradcheck import gradcheck as check_gradients
from ..network import Network
from ..runs import config
from ..runs import data as run_data
from ..runs import folder as run_folder
from ..runs.folder import CHECKPOINT, MODEL
from ..storage import load
from ..storage.atomic import atomic_write_text
from ..verdicts import verdicts
from . import evaluation
from .flags import FLAGS
from .summary import summary_text
from .terminal import FiguresNote

#: exit codes: success, a failure at run time, a usage or input error, interrupted (docs/cli.md)
OK, FAILED, USAGE, INTERRUPTED = 0, 1, 2, 130


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The config values the flags set, nested as the config is."""
    out: dict[str, Any] = {}
    for key, flag in FLAGS.items():
        value = getattr(args, flag[2:].replace("-", "_"), None)
        if value is not None:
            section, name = key.split(".")
            out.setdefault(section, {})[name] = value
    return out


# ------------------------------------------------------------------------------------- train


def train(args: argparse.Namespace) -> int:
    """``fcnn train``: start a run (or continue one with ``--resume``) and print its summary;
    ``INTERRUPTED`` when Ctrl-C stopped it with a checkpoint saved."""
    progress = sys.stderr.isatty() if args.progress is None else args.progress
    figures = not args.no_figures
    if args.resume:
        _check_resume_flags(args)
        out = Path(args.resume)
        start = functools.partial(runs.resume_run, out, epochs=args.epochs, lr=args.lr)
    else:
        cfg = config.resolve(args.config, _overrides(args))
        out = Path(args.out) if args.out else _default_out()
        start = functools.partial(runs.start_run, cfg, out, force=args.force)
    before = _stamp(out / CHECKPOINT)
    snapshots = None if args.no_report else reporting.EpochSnapshots()
    try:
        extra = [] if snapshots is None else [snapshots]  # the report's frames, when not recorded
        if not args.no_diagnostics:
            extra.append(Diagnostics())  # diagnostics.csv, diagnostics.png and the verdicts
        if figures and progress:
            extra.append(FiguresNote())  # the terminal is not silent while figures are drawn
        report = functools.partial(_write_report, snapshots=snapshots)  # under the folder's lock
        result = start(progress=progress, figures=figures, callbacks=extra, finish=report)
    except KeyboardInterrupt:  # outside the training loop: setting up, or writing the outputs
        after = _stamp(out / CHECKPOINT)
        # a resume hint only for a checkpoint this command wrote, or is resuming
        if after is None or (after == before and not args.resume):
            raise
        return _interrupted(out)
    print(_summary(result))
    if not result.interrupted:
        for message in verdicts(result.history, result.net):
            print(f"warning: {message}")
    return _interrupted(out) if result.interrupted else OK


def _write_report(result: Any, snapshots: Any) -> None:
    """report.html for a finished run; with --no-report, an earlier one (it shows another
    model) is removed and the summary says so."""
    path = result.out / reporting.REPORT
    if snapshots is None:
        if path.exists():
            path.unlink()
            print(f"removed {path}: it showed the run before this resume", file=sys.stderr)
        return
    result.files.append(reporting.build(result.out, snapshots=snapshots))


def report(args: argparse.Namespace) -> int:
    """``fcnn report``: rebuild a run's report.html and redraw its PNG figures."""
    features = None
    if args.features is not None:
        try:
            features = tuple(int(v) for v in args.features.split(","))
        except ValueError:
            features = ()
        if len(features) != 2:
            raise ValueError(f"--features {args.features}: give two column indices, e.g. 0,2")
    out = Path(args.run_folder)
    path = reporting.build(out, features=features)  # type: ignore[arg-type]
    files = reporting.redraw_figures(out)
    print(f"wrote {path}")
    print(f"redrew {', '.join(f.name for f in files) or 'no figures'} in {out}")
    return OK


def _stamp(path: Path) -> tuple[int, int] | None:
    """(inode, mtime in ns) of ``path``, or None where there is no such file."""
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns


def _interrupted(out: Path) -> int:
    """Say how to resume the run in ``out``; the exit code of an interrupted run."""
    note = run_folder.previous_note(out)
    print(
        f"interrupted; resume with: fcnn train --resume {out}" + (f"; {note}" if note else ""),
        file=sys.stderr,
    )
    return INTERRUPTED


def _check_resume_flags(args: argparse.Namespace) -> None:
    given = [f for k, f in FLAGS.items() if k not in ("training.epochs", "training.lr")]
    given = [f for f in given if getattr(args, f[2:].replace("-", "_"), None) is not None]
    given += [f"--{n}" for n in ("config", "out") if getattr(args, n) is not None]
    given += ["--force"] if args.force else []
    if given:
        raise ValueError(
            f"--resume continues the run as configured in its config.toml; drop {given[0]} "
            "(only --epochs, --lr, --[no-]progress and --no-figures go with --resume)"
        )


def _default_out() -> Path:
    return run_folder.timestamped("runs")


def _summary(result: Any) -> str:
    return summary_text(result)  # fcnn.cli.summary: the saved model's numbers, named


# ---------------------------------------------------------------------- evaluate and predict


def evaluate(args: argparse.Namespace) -> int:
    """``fcnn evaluate``: print a saved model's loss and accuracy with a confusion matrix (a
    classifier), or its loss, MSE and R² (a regression), on ``--data``, ``--dataset`` or the
    data of the run folder it came from."""
    net = _load_model(args.model)
    ds = _evaluation_data(args)
    X = net.standardize(_check_width(net, ds.X, args.data or args.dataset or "the data"))
    rows = evaluation.split_rows(args, len(X))  # --split: the run's held-out rows, or the rest
    if rows is not None:
        ds, X = dataclasses.replace(ds, X=ds.X[rows], y=ds.y[rows]), X[rows]
    if net.is_classifier:
        y = _class_indices(net, ds)
        labels = _class_names(net)
        evaluation.warn_classes(labels, [ds.classes[i] for i in np.unique(ds.y)])
        pred = np.asarray(net.predict(X)).astype(np.int64)
        pred = np.zeros_like(pred) if len(labels) == 1 else pred  # fitted on one class
        counts = metrics.confusion_matrix(y, pred, len(labels))
        hits = int(np.trace(counts))
        print(f"samples   {len(y)}" + (f" ({args.split} rows)" if rows is not None else ""))
        print(f"loss per sample  {evaluation.loss_per_sample(net, X, y):.6g}")
        print(f"accuracy  {metrics.accuracy(y, pred):.4f} ({hits}/{len(y)})")
        print("confusion matrix (rows: true class, columns: predicted class)")
        print(_table(labels, counts))
    else:
        Y = _target_values(ds).reshape(len(X), -1)
        P = net.forward(X)
        mse = metrics.mse(Y, P)
        print(f"samples   {len(Y)}" + (f" ({args.split} rows)" if rows is not None else ""))
        print(f"loss per sample  {evaluation.loss_per_sample(net, X, Y):.6g}")
        print(f"mse       {mse:.6g}")
        print(f"rmse      {mse**0.5:.6g}")
        print(f"r2        {metrics.r2(Y, P):.4f}")
    return OK


def predict(args: argparse.Namespace) -> int:
    """``fcnn predict``: write a saved model's predictions for ``--data`` to the CSV ``--out``:
    the label and ``p_<class>`` per class for a classifier, the values for a regression."""
    net = _load_model(args.model)
    out = Path(args.out)
    if out.is_dir():
        raise ValueError(f"--out {out} is a folder; give a file name such as predictions.csv")
    model = Path(args.model) / MODEL if Path(args.model).is_dir() else Path(args.model)
    for what, path in (("the model", model), ("the data", Path(args.data))):
        if out.exists() and out.resolve() == path.resolve():
            raise ValueError(
                f"--out {out} is {what} this command reads; --force or not, predictions never "
                "replace it: choose another --out"
            )
    if out.exists() and not args.force:
        raise FileExistsError(
            f"{out} exists; pass --force to overwrite it, or choose another --out"
        )
    X = net.standardize(load_features(args.data, net.n_inputs, args.target)[0])
    P = net.forward(X)
    text = _stringio.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    if net.is_classifier:
        labels = _class_names(net)
        P = np.column_stack([1 - P[:, 0], P[:, 0]]) if net.n_outputs == 1 else P
        P = np.ones((len(P), 1)) if len(labels) == 1 else P  # fitted on one class: it is all
        writer.writerow(["prediction", *(f"p_{c}" for c in labels)])
        for row in P:
            writer.writerow([labels[int(row.argmax())], *map(repr, row.tolist())])
    else:
        names = (
            ["prediction"] if P.shape[1] == 1 else [f"prediction_{j}" for j in range(P.shape[1])]
        )
        writer.writerow(names)
        writer.writerows([map(repr, row) for row in P.tolist()])
    atomic_write_text(out, text.getvalue())
    print(f"wrote {len(P)} predictions to {out}")
    return OK


# --------------------------------------------------------------------------------- gradcheck


def gradcheck(args: argparse.Namespace) -> int:
    """``fcnn gradcheck``: build the network ``fcnn train`` would build from the same options and
    compare its backpropagated gradients with finite differences; ``FAILED`` if they differ."""
    if args.batch < 1 or not args.eps > 0 or not args.tolerance >= 0:
        raise ValueError(
            f"--batch {args.batch} --eps {args.eps} --tolerance {args.tolerance}: give a batch "
            ">= 1, a step > 0 and a tolerance >= 0"
        )
    cfg, ds = run_data.prepare(config.resolve(args.config, _overrides(args)))
    net = Network(**config.network_kwargs(cfg))
    X = ds.X
    if cfg["data"]["standardize"]:
        X = standardize(X, *fit_standardize(X))
    rng = np.random.default_rng(cfg["training"]["seed"])
    idx = rng.choice(len(X), size=min(args.batch, len(X)), replace=False)
    report = check_gradients(
        net, X[idx], ds.y[idx], eps=args.eps, l2=cfg["training"]["l2"], tolerance=args.tolerance
    )
    print(f"{net} on {len(idx)} samples")
    if net.dtype != np.float64:  # fcnn.gradcheck checks a float64 copy: say so
        print(
            f"checked in float64: a float64 copy of this {net.dtype} network (finite "
            f"differences need float64's precision), so the errors below are float64's"
        )
    print(report)
    return OK if report.passed else FAILED


# -------------------------------------------------------------------------- model and data


def _load_model(path: str) -> Network:
    return load(run_folder.model_file(path))


def _evaluation_data(args: argparse.Namespace) -> Dataset:
    if args.data and args.dataset:
        raise ValueError("give --data FILE or --dataset NAME, not both")
    if args.data or args.dataset:
        data = {"file": args.data or "", "target": args.target or ""}
        data |= {"dataset": args.dataset} if args.dataset else {}
        return run_data.load_data(config.validate({"data": data}))
    run_config = Path(args.model) / "config.toml"
    if not run_config.is_file():
        raise ValueError(
            "give the data to evaluate on: --data FILE or --dataset NAME "
            "(only a run folder MODEL brings its own)"
        )
    return run_data.load_data(config.resolve(run_config))


def _target_values(ds: Dataset) -> np.ndarray:
    """The target column as numbers: (n_samples,)."""
    if ds.classes is None:
        return ds.y.astype(np.float64)
    values = np.asarray(ds.classes)[ds.y]
    if values.dtype.kind not in "iuf":
        raise ValueError(f"the target column holds text ({values[0]!r}); it must hold numbers")
    return values.astype(np.float64)


def _check_width(net: Network, X: np.ndarray, source: str) -> np.ndarray:
    if X.shape[1] == net.n_inputs - 1:
        raise ValueError(
            f"{source} has {X.shape[1]} feature columns besides its target but the model takes "
            f"{net.n_inputs}: evaluate needs the features and a target column (the last, or "
            "--target NAME); to label new data without targets, use fcnn predict"
        )
    if X.shape[1] != net.n_inputs:
        raise ValueError(
            f"{source} has {X.shape[1]} feature columns but the model takes {net.n_inputs}"
        )
    return X


def _class_names(net: Network) -> list[str]:
    k = 2 if net.n_outputs == 1 else net.n_outputs
    return [str(c) for c in net.classes] if net.classes else [str(i) for i in range(k)]


def _class_indices(net: Network, ds: Dataset) -> np.ndarray:
    """The data's labels as indices of the model's classes (matched by name)."""
    if ds.classes is None:
        raise ValueError(
            "the model is a classifier but the target column holds non-integer numbers; "
            "evaluate on a file whose target column holds class labels"
        )
    index = {name: i for i, name in enumerate(_class_names(net))}
    missing = sorted({str(c) for c in ds.classes} - index.keys())
    if missing:
        raise ValueError(
            f"the data has labels {missing} that the model does not know; its classes are "
            f"{list(index)}"
        )
    lookup = np.array([index[str(c)] for c in ds.classes], dtype=np.int64)
    return lookup[ds.y]


def _table(labels: list[str], counts: np.ndarray) -> str:
    width = max(max(map(len, labels)), len(str(counts.max())), 4)
    head = " " * (width + 2) + " ".join(f"{c:>{width}}" for c in labels)
    rows = [
        f"{a:>{width}}  " + " ".join(f"{n:>{width}}" for n in r)
        for a, r in zip(labels, counts, strict=True)
    ]
    return "\n".join([head, *rows])

"""The ``fcnn`` command: ``train``, ``evaluate``, ``predict`` and ``gradcheck``.

Argument parsing and plumbing only: the configuration lives in ``fcnn.config``, run folders in
``fcnn.runs``, the math in the library. Every error a user can cause is one line on stderr.

Exit codes: 0 success; 1 a failure at run time (divergence, a failed gradient check, an
internal error); 2 a usage or input error; 130 interrupted (a checkpoint was saved).
"""

from __future__ import annotations

import argparse
import csv
import io as _stringio
import os
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from . import __version__, config, metrics
from .datasets import DATASETS, Dataset, load_file
from .errors import DivergenceError, FCNNError
from .gradcheck import gradcheck
from .io import atomic_write_text, load
from .network import Network

OK, FAILED, USAGE, INTERRUPTED = 0, 1, 2, 130
MODEL_FILE = "model.safetensors"

_EXAMPLES = """\
examples:
  fcnn train                                  seed 000's experiment: 2-2-2 tanh/softmax, MSE + CE
  fcnn train --config examples/seed002.toml   an l-layer network on mini-batches
  fcnn train --dataset spirals --layers 2,32,32,3 --loss cross_entropy --epochs 500
  fcnn train --data iris.csv --target species --layers auto,16,auto --standardize
  fcnn train --resume runs/20261123-154500    continue an interrupted run
  fcnn evaluate runs/20261123-154500          metrics on the data the run trained on
  fcnn predict runs/20261123-154500 --data new.csv --out predictions.csv
  fcnn gradcheck --layers 2,8,8,3 --dataset spirals

exit codes: 0 success, 1 run-time failure (divergence, gradcheck FAIL), 2 usage or input
error, 130 interrupted. Set FCNN_DEBUG=1 to see the traceback of an internal error.
Documentation: docs/cli.md"""


class _Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose usage errors are one line that points at ``--help``."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def main(argv: list[str] | None = None) -> int:
    """Run the ``fcnn`` command with ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
        if extra:
            args.parser.error(f"unrecognized arguments: {' '.join(extra)}")
    except SystemExit as exc:  # --help, --version and usage errors
        return exc.code if isinstance(exc.code, int) else USAGE
    try:
        return args.run(args)
    except DivergenceError as exc:
        return _fail(exc, FAILED)
    except (FCNNError, ValueError, OSError) as exc:
        return _fail(exc, USAGE)
    except ImportError as exc:  # an optional dependency, e.g. scikit-learn for digits
        return _fail(exc, FAILED)
    except KeyboardInterrupt:
        print("fcnn: interrupted", file=sys.stderr)
        return INTERRUPTED
    except Exception as exc:
        if os.environ.get("FCNN_DEBUG"):
            raise
        print(
            f"fcnn: internal error: {type(exc).__name__}: {_one_line(exc)} "
            "(set FCNN_DEBUG=1 for the traceback)",
            file=sys.stderr,
        )
        return FAILED


def _one_line(exc: BaseException) -> str:
    text = str(exc)
    if isinstance(exc, OSError) and exc.strerror:
        text = exc.strerror + (f": {exc.filename}" if exc.filename else "")
    return " ".join(text.split()) or type(exc).__name__


def _fail(exc: BaseException, code: int) -> int:
    print(f"fcnn: error: {_one_line(exc)}", file=sys.stderr)
    return code


# ------------------------------------------------------------------------------------- parsers


def build_parser() -> argparse.ArgumentParser:
    """The ``fcnn`` parser and its four subcommands."""
    parser = _Parser(
        prog="fcnn",
        description="Fully connected neural networks trained by explicit, hand-written "
        "backpropagation in NumPy.",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"fcnn {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)
    for name, build, summary in (
        ("train", _train_parser, "train a network and write a run folder"),
        ("evaluate", _evaluate_parser, "print a saved model's metrics on a data set"),
        ("predict", _predict_parser, "write a saved model's predictions to a CSV file"),
        ("gradcheck", _gradcheck_parser, "check backprop against finite differences"),
    ):
        sub = commands.add_parser(name, help=summary, description=summary[0].upper() + summary[1:])
        sub.set_defaults(parser=sub)
        build(sub)
    return parser


def _layers(text: str) -> list[int | str]:
    try:
        return [t if t == config.AUTO else int(t) for t in map(str.strip, text.split(","))]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a list of widths like 2,16,16,3 (the first and last may be auto)"
        ) from None


def _names(text: str) -> str | list[str]:
    return text if "," not in text else [t.strip() for t in text.split(",")]


SWITCH = "switch"  # an on/off flag with a --no- form
# flag: (metavar or SWITCH, type, help); "(default: ...)" is added from config.DEFAULTS
_DATA_OPTIONS = {
    "--dataset": (
        "NAME",
        str,
        f"teaching data set, used unless --data is given: {', '.join(DATASETS)}",
    ),
    "--data": (
        "FILE",
        str,
        "your own data: a .csv/.tsv/.txt file of numeric feature columns and a target "
        "column, or .npy/.npz (default: none, use --dataset)",
    ),
    "--target": (
        "COLUMN",
        str,
        "name or index of the target column in --data (default: the last column)",
    ),
    "--val-split": ("F", float, "fraction of the data held out for validation"),
    "--standardize": (
        SWITCH,
        None,
        "scale each feature to mean 0 and standard deviation 1 with statistics of the "
        "training data, stored in the model",
    ),
}
_NETWORK_OPTIONS = {
    "--layers": (
        "N,N,...",
        _layers,
        "layer widths, input first; the first and last may be 'auto': the data's feature "
        "and class counts",
    ),
    "--activation": (
        "NAME[,NAME...]",
        _names,
        "hidden activation, or one per hidden layer: tanh, sigmoid, relu, leaky_relu, "
        "identity, softplus",
    ),
    "--output": ("NAME", str, "output function: softmax, sigmoid, identity"),
    "--loss": ("NAME", str, "cross_entropy, mse, or mse+ce (seed 000's sum of the two)"),
    "--reduction": ("NAME", str, "mean (J averaged over the batch) or sum (seed 002 eq. 3i)"),
    "--init": ("NAME", str, "weight initialiser: xavier, he, normal (seed 000's plain N(0, 1))"),
    "--dtype": ("NAME", str, "float32 or float64"),
}
_TRAINING_OPTIONS = {
    "--optimizer": ("NAME", str, "gd, sgd, momentum, nesterov, adam, rmsprop"),
    "--lr": ("RATE", float, "learning rate"),
    "--schedule": (
        "NAME",
        str,
        "learning-rate schedule: constant, step, exponential, invscaling, adaptive",
    ),
    "--epochs": ("N", int, "passes over the training data (with --resume: the new total)"),
    "--batch-size": ("N", int, "samples per update; 0 = the full batch (gradient descent)"),
    "--l2": ("LAMBDA", float, "L2 penalty (lambda/2) sum ||W||^2 on the weights"),
    "--early-stopping": (
        SWITCH,
        None,
        "stop when the loss (val_loss with --val-split) has not improved for --patience epochs",
    ),
    "--patience": ("N", int, "epochs without improvement before early stopping"),
    "--checkpoint-every": (
        "N",
        int,
        "write checkpoint.safetensors every N updates; 0 = only at the end or on Ctrl-C",
    ),
}
_SEED_OPTIONS = {
    "--seed": ("N", int, "seed of the weights, the shuffling and the validation split"),
    "--config": (
        "FILE",
        str,
        "TOML config file (docs/cli.md); flags override its values (default: none)",
    ),
}
_KEYS = {flag: key for key, flag in config.FLAGS.items()}


def _add_options(group: Any, options: dict[str, tuple[str, Any, str]]) -> None:
    for flag, (metavar, kind, text) in options.items():
        if "(default" not in text:
            text += " " + _default(_KEYS[flag])
        if metavar == SWITCH:
            group.add_argument(flag, action=argparse.BooleanOptionalAction, help=text)
        else:
            group.add_argument(flag, metavar=metavar, type=kind, help=text)


def _default(key: str) -> str:
    section, name = key.split(".")
    value = config.DEFAULTS[section][name]
    if isinstance(value, list):
        value = ",".join(map(str, value))
    return f"(default: {str(value).lower() if isinstance(value, bool) else value})"


def _train_parser(p: argparse.ArgumentParser) -> None:
    p.epilog = (
        "Values resolve in the order: defaults <- --config FILE <- flags; the resolved "
        "config is written to the run folder as config.toml. Ctrl-C saves a checkpoint."
    )
    _add_options(p.add_argument_group("data"), _DATA_OPTIONS)
    _add_options(p.add_argument_group("network"), _NETWORK_OPTIONS)
    _add_options(p.add_argument_group("training"), _TRAINING_OPTIONS)
    g = p.add_argument_group("run")
    _add_options(g, _SEED_OPTIONS)
    _add_options(
        g,
        {
            "--out": (
                "DIR",
                str,
                "run folder to write (default: runs/<UTC time>, e.g. runs/20261123-154500)",
            ),
            "--resume": (
                "DIR",
                str,
                "continue the run in DIR from its checkpoint; only --epochs (the new total), "
                "--lr, --no-progress and --no-figures go with it (default: none)",
            ),
        },
    )
    g.add_argument(
        "--force", action="store_true", help="overwrite an existing run folder (default: off)"
    )
    g.add_argument(
        "--no-progress", action="store_true", help="hide the progress bar (default: shown)"
    )
    g.add_argument(
        "--no-figures",
        action="store_true",
        help="do not draw the PNG figures, which take most of a short run's time (default: drawn)",
    )
    p.set_defaults(run=_train)


def _evaluate_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "model", metavar="MODEL", help=f"a model file, or a run folder (its {MODEL_FILE})"
    )
    _add_options(
        p,
        {
            "--data": (
                "FILE",
                str,
                "data file with a target column (default: a run folder's own data)",
            ),
            "--target": _DATA_OPTIONS["--target"],
            "--dataset": (
                "NAME",
                str,
                f"a teaching data set instead: {', '.join(DATASETS)} (default: none)",
            ),
        },
    )
    p.set_defaults(run=_evaluate)


def _predict_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "model", metavar="MODEL", help=f"a model file, or a run folder (its {MODEL_FILE})"
    )
    p.add_argument(
        "--data",
        metavar="FILE",
        required=True,
        help="file of feature columns, with or without a target column (required)",
    )
    p.add_argument(
        "--target",
        metavar="COLUMN",
        help="name or index of a target column to drop (default: the last column, when the "
        "file has one column more than the model's inputs)",
    )
    p.add_argument(
        "--out",
        metavar="FILE",
        required=True,
        help="CSV file to write: the predicted label and p_<class> per class, or the "
        "predicted values (required)",
    )
    p.add_argument(
        "--force", action="store_true", help="overwrite an existing --out file (default: off)"
    )
    p.set_defaults(run=_predict)


def _gradcheck_parser(p: argparse.ArgumentParser) -> None:
    p.epilog = (
        "Builds the network 'fcnn train' would build from the same options and compares its "
        "backpropagated gradients with central finite differences on a batch of the data."
    )
    _add_options(p.add_argument_group("data"), _DATA_OPTIONS)
    _add_options(p.add_argument_group("network"), _NETWORK_OPTIONS)
    g = p.add_argument_group("check")
    _add_options(g, _SEED_OPTIONS | {"--l2": _TRAINING_OPTIONS["--l2"]})
    g.add_argument(
        "--batch", type=int, default=16, metavar="N", help="samples to check on (default: 16)"
    )
    g.add_argument(
        "--eps", type=float, default=1e-3, help="finite-difference step (default: 0.001)"
    )
    g.add_argument(
        "--tolerance",
        type=float,
        default=1e-6,
        help="largest relative error that passes (default: 1e-06)",
    )
    p.set_defaults(run=_gradcheck)


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    """The config values the flags set, nested as the config is."""
    out: dict[str, Any] = {}
    for key, flag in config.FLAGS.items():
        value = getattr(args, flag[2:].replace("-", "_"), None)
        if value is not None:
            section, name = key.split(".")
            out.setdefault(section, {})[name] = value
    return out


# ------------------------------------------------------------------------------------ commands


def _train(args: argparse.Namespace) -> int:
    from . import runs

    progress, figures = not args.no_progress, not args.no_figures
    if args.resume:
        _check_resume_flags(args)
        result = runs.resume_run(
            Path(args.resume), progress=progress, epochs=args.epochs, lr=args.lr, figures=figures
        )
    else:
        cfg = config.resolve(args.config, _overrides(args))
        out = Path(args.out) if args.out else _default_out()
        result = runs.start_run(cfg, out, force=args.force, progress=progress, figures=figures)
    print(_summary(result))
    if result.interrupted:
        print(f"interrupted; resume with: fcnn train --resume {result.out}", file=sys.stderr)
        return INTERRUPTED
    return OK


def _check_resume_flags(args: argparse.Namespace) -> None:
    given = [f for k, f in config.FLAGS.items() if k not in ("training.epochs", "training.lr")]
    given = [f for f in given if getattr(args, f[2:].replace("-", "_"), None) is not None]
    given += [f"--{n}" for n in ("config", "out") if getattr(args, n) is not None]
    given += ["--force"] if args.force else []
    if given:
        raise ValueError(
            f"--resume continues the run as configured in its config.toml; drop {given[0]} "
            "(only --epochs, --lr, --no-progress and --no-figures go with --resume)"
        )


def _default_out() -> Path:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
    out, n = Path("runs") / stamp, 1
    while out.exists():
        n += 1
        out = Path("runs") / f"{stamp}-{n}"
    return out


def _with_layers(cfg: dict[str, Any], ds: Dataset) -> dict[str, Any]:
    """``cfg`` with ``auto`` layer widths replaced by the data's feature and output counts."""
    k = 1 if ds.classes is None else len(ds.classes)
    n_out = 1 if k == 2 and cfg["network"]["output"] == "sigmoid" else k
    return config.fill_layers(cfg, ds.X.shape[1], n_out)


def _summary(result: Any) -> str:
    s, h = result.summary, result.history
    rows = [("epochs", f"{s.get('epochs', len(h))} in {s.get('seconds', 0.0):.2f} s")]
    if h.loss:
        parts = (
            ", ".join(f"{k} {v[-1]:.4g}" for k, v in h.parts.items()) if len(h.parts) > 1 else ""
        )
        rows.append(("loss", f"{h.loss[-1]:.4g}" + (f" ({parts})" if parts else "")))
    for key, fmt in (("accuracy", ".4f"), ("val_loss", ".4g"), ("val_accuracy", ".4f")):
        if getattr(h, key):
            rows.append((key, format(getattr(h, key)[-1], fmt)))
    if h.stopped_early:
        rows.append(("stopped", f"early; best epoch {h.best_epoch}"))
    rows.append(("run folder", str(result.out)))
    names = sorted(str(Path(f).relative_to(result.out)) for f in result.files)
    rows.append(("files", ", ".join(names)))
    return "\n".join(f"{key:<13} {value}" for key, value in rows)


def _evaluate(args: argparse.Namespace) -> int:
    net = _load_model(args.model)
    ds = _evaluation_data(args)
    X = net.standardize(_check_width(net, ds.X, args.data or args.dataset or "the data"))
    if _is_classifier(net):
        y = _class_indices(net, ds)
        labels = _class_names(net)
        pred = np.asarray(net.predict(X)).astype(np.int64)
        counts = metrics.confusion_matrix(y, pred, len(labels))
        hits = int(np.trace(counts))
        print(f"samples   {len(y)}")
        print(f"loss      {net.loss(X, y):.6g}")
        print(f"accuracy  {metrics.accuracy(y, pred):.4f} ({hits}/{len(y)})")
        print("confusion matrix (rows: true class, columns: predicted class)")
        print(_table(labels, counts))
    else:
        Y = _target_values(ds).reshape(len(X), -1)
        P = net.forward(X)
        print(f"samples   {len(Y)}")
        print(f"loss      {net.loss(X, Y):.6g}")
        print(f"mse       {metrics.mse(Y, P):.6g}")
        print(f"r2        {metrics.r2(Y, P):.4f}")
    return OK


def _predict(args: argparse.Namespace) -> int:
    net = _load_model(args.model)
    out = Path(args.out)
    if out.is_dir():
        raise ValueError(f"--out {out} is a folder; give a file name such as predictions.csv")
    if out.exists() and not args.force:
        raise FileExistsError(
            f"{out} exists; pass --force to overwrite it, or choose another --out"
        )
    X = net.standardize(_prediction_features(net, args.data, args.target))
    P = net.forward(X)
    text = _stringio.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    if _is_classifier(net):
        labels = _class_names(net)
        P = np.column_stack([1 - P[:, 0], P[:, 0]]) if net.n_outputs == 1 else P
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


def _gradcheck(args: argparse.Namespace) -> int:
    from . import runs
    from .datasets import fit_standardize, standardize

    if args.batch < 1 or not args.eps > 0 or not args.tolerance >= 0:
        raise ValueError(
            f"--batch {args.batch} --eps {args.eps} --tolerance {args.tolerance}: give a batch "
            ">= 1, a step > 0 and a tolerance >= 0"
        )
    cfg = config.resolve(args.config, _overrides(args))
    ds = runs.load_data(cfg)
    cfg = _with_layers(cfg, ds)
    net = Network(**config.network_kwargs(cfg))
    X = _check_width(net, ds.X, cfg["data"]["file"] or cfg["data"]["dataset"])
    if cfg["data"]["standardize"]:
        X = standardize(X, *fit_standardize(X))
    rng = np.random.default_rng(cfg["training"]["seed"])
    idx = rng.choice(len(X), size=min(args.batch, len(X)), replace=False)
    report = gradcheck(
        net, X[idx], ds.y[idx], eps=args.eps, l2=cfg["training"]["l2"], tolerance=args.tolerance
    )
    print(f"{net} on {len(idx)} samples")
    print(report)
    return OK if report.passed else FAILED


# -------------------------------------------------------------------------- model and data


def _load_model(path: str) -> Network:
    p = Path(path)
    if p.is_dir():
        p = p / MODEL_FILE
        if not p.is_file():
            raise ValueError(
                f"run folder {path} has no {MODEL_FILE}; if the run was interrupted, finish it "
                f"with: fcnn train --resume {path}"
            )
    return load(p)


def _evaluation_data(args: argparse.Namespace) -> Dataset:
    from . import runs

    if args.data and args.dataset:
        raise ValueError("give --data FILE or --dataset NAME, not both")
    if args.data or args.dataset:
        data = {"file": args.data or "", "target": args.target or ""}
        data |= {"dataset": args.dataset} if args.dataset else {}
        return runs.load_data(config.validate({"data": data}))
    run_config = Path(args.model) / "config.toml"
    if not run_config.is_file():
        raise ValueError(
            "give the data to evaluate on: --data FILE or --dataset NAME "
            "(only a run folder MODEL brings its own)"
        )
    return runs.load_data(config.resolve(run_config))


def _prediction_features(net: Network, path: str, target: str | None) -> np.ndarray:
    """X: (n_samples, n_inputs) from ``path``: with a target column, or of features only."""
    ds = load_file(path, target)
    n = ds.X.shape[1]
    if n == net.n_inputs:
        return ds.X
    if n + 1 == net.n_inputs and target is None:  # no target column: the last is a feature
        return np.column_stack([ds.X, _target_values(ds, f"{path}: column {ds.target_name!r}")])
    raise ValueError(
        f"{path} has {n + 1} columns but the model takes {net.n_inputs} features; give a file "
        f"of {net.n_inputs} feature columns, with or without a target column"
    )


def _target_values(ds: Dataset, where: str = "the target column") -> np.ndarray:
    """The target column as numbers: (n_samples,) or the (n_samples, k) targets of a file."""
    if ds.classes is None:
        return ds.y.astype(np.float64)
    values = np.asarray(ds.classes)[ds.y]
    if values.dtype.kind not in "iuf":
        raise ValueError(f"{where} holds text ({values[0]!r}); it must hold numbers")
    return values.astype(np.float64)


def _check_width(net: Network, X: np.ndarray, source: str) -> np.ndarray:
    if X.shape[1] != net.n_inputs:
        raise ValueError(
            f"{source} has {X.shape[1]} feature columns but the model takes {net.n_inputs}"
        )
    return X


def _is_classifier(net: Network) -> bool:
    return net.output == "softmax" or (net.output == "sigmoid" and net.n_outputs == 1)


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

"""``fcnn export MODEL --format onnx --out model.onnx``: the command's parser and what it does.

``fcnn.cli`` adds the subcommand with :func:`build_parser` and :data:`EPILOG`, to run
:func:`run`; errors are raised as ``ValueError``/``OSError``/``ImportError``, which
``fcnn.cli.main`` turns into one line.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ..network import Network
from ..runs.folder import MODEL, model_file
from ..storage import load
from . import FORMATS, export_onnx

OK = 0


#: the closing words of ``fcnn export --help``
EPILOG = (
    "The ONNX graph computes what 'fcnn predict' does: the stored standardisation, the "
    "layers, the output function and the class labels. Needs: pip install 'fcnn[onnx]'. "
    "See docs/onnx.md."
)


def build_parser(p: argparse.ArgumentParser) -> None:
    """The options of ``fcnn export``."""
    p.add_argument("model", metavar="MODEL", help=f"a model file, or a run folder (its {MODEL})")
    p.add_argument(
        "--format",
        choices=FORMATS,
        default="onnx",
        help="the format to write (default: onnx)",
    )
    p.add_argument("--out", metavar="FILE", required=True, help="file to write (required)")
    p.add_argument(
        "--opset",
        type=int,
        metavar="N",
        help="ONNX opset the model declares, 13 or later (default: 17)",
    )
    p.add_argument(
        "--force", action="store_true", help="overwrite an existing --out file (default: off)"
    )


def run(args: argparse.Namespace) -> int:
    """``fcnn export``: write the model ``args.model`` to ``args.out`` in ``args.format``."""
    source, out = model_file(args.model), Path(args.out)
    if out.is_dir():
        raise ValueError(f"--out {out} is a folder; give a file name such as model.onnx")
    if out.exists() and out.resolve() == source.resolve():
        raise ValueError(f"--out {out} is the model this command reads; choose another --out")
    if out.exists() and not args.force:
        raise FileExistsError(
            f"{out} exists; pass --force to overwrite it, or choose another --out"
        )
    net: Network = load(source)
    model = export_onnx(net, out, opset=args.opset)
    outputs = ", ".join(o.name for o in model.graph.output)
    print(
        f"wrote {out}: ONNX opset {model.opset_import[0].version}, input X: (N, {net.n_inputs}) "
        f"{net.dtype}, outputs {outputs}"
    )
    return OK

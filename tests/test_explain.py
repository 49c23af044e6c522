"""``fcnn explain``: the ledger's numbers against fcnn.reference and finite differences, and
its text, Markdown and LaTeX outputs."""

import io
import re
from pathlib import Path

import numpy as np
import pytest
from markdown_it import MarkdownIt
from matplotlib import mathtext
from mdit_py_plugins.dollarmath import dollarmath_plugin

import fcnn
from fcnn import cli, datasets, reference
from fcnn.explain import Problem, ledger, render, seed000_output_gradient

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def explain(capsys, *argv):
    code = cli.main(["explain", *map(str, argv)])
    out, err = capsys.readouterr()
    return code, out, err


def matrix_after(text: str, label: str) -> np.ndarray:
    """The numbers printed under the line that starts with ``label`` (text format)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith(label + "  ("))
    rows = []
    for line in lines[start + 1 :]:
        if not re.fullmatch(r"\s+[-0-9.e+ ]+", line):
            break
        rows.append([float(v) for v in line.split()])
    return np.array(rows)


@pytest.fixture(scope="module")
def seed000():
    """Seed 000's network and data as examples/seed000.toml describes them, built directly."""
    X, y = datasets.gaussians(n_samples=200, means=[[-1.5, -1.5], [1.5, 1.5]], covs=1.0, seed=10)
    net = fcnn.Network([2, 2, 2], "tanh", "softmax", "mse+ce", init="normal", seed=10)
    Ws, bs = [W.copy() for W in net.weights], [b.copy() for b in net.biases]
    Y = np.eye(2)[y].T
    J, dW, db = reference.gradients(Ws, bs, X.T, Y, ["tanh"], "softmax", "mse+ce")
    return Ws, bs, X, J, dW, db


def test_explain_seed000_config_prints_the_first_step_as_fcnn_reference_computes_it(
    capsys, seed000
):
    Ws, bs, X, J, dW, db = seed000
    code, out, _ = explain(capsys, "--config", EXAMPLES / "seed000.toml")
    assert code == 0
    np.testing.assert_allclose(matrix_after(out, "W^(1)"), Ws[0], rtol=1e-5)
    np.testing.assert_allclose(matrix_after(out, "X")[:, :8], X[:8].T, rtol=1e-5)
    np.testing.assert_allclose(matrix_after(out, "J"), [[J]], rtol=1e-5)
    for k in (1, 2):
        np.testing.assert_allclose(matrix_after(out, f"∇_W^({k}) J"), dW[k - 1], rtol=1e-5)
        np.testing.assert_allclose(matrix_after(out, f"∇_b^({k}) J")[:, 0], db[k - 1], rtol=1e-5)
        # the update W <- W - 1e-6 ∇W, printed with 10 significant digits
        new = matrix_after(out, f"new W^({k})")
        np.testing.assert_allclose(new, Ws[k - 1] - 1e-6 * dW[k - 1], rtol=1e-9)
    for line in ("Alg. 1, line 13", "Alg. 2, line 7 (k = 1)", "Alg. 2, lines 8-9 (k = 1)"):
        assert line in out


def test_every_gradient_of_the_ledger_matches_reference_and_finite_differences():
    rng = np.random.default_rng(0)
    sizes = [3, 4, 5, 2]
    Ws = [rng.normal(size=(m, n)) for n, m in zip(sizes[:-1], sizes[1:], strict=True)]
    bs = [rng.normal(size=m) for m in sizes[1:]]
    X, Y = rng.normal(size=(3, 7)), np.eye(2)[rng.integers(0, 2, 7)].T
    p = Problem(Ws, bs, X, Y, ["tanh", "relu"], "softmax", "cross_entropy", "sum", 0.1)
    entries = ledger(p)
    _, dW, db = reference.gradients(
        Ws, bs, X, Y, ["tanh", "relu"], "softmax", "cross_entropy", "sum"
    )
    checks = [e for e in entries if e.check is not None]
    assert len(checks) == 1 + 2 * 3  # line 1, then ∇b and ∇W of each layer
    for e in checks:
        assert e.check.error() < 1e-6, e.where
    got = {e.where: e.values[0].array for e in checks}
    for k in (1, 2, 3):
        line = ("4", "2-3") if k == 3 else ("10", "8-9")
        np.testing.assert_allclose(got[f"Alg. 2, line {line[0]} (k = {k})"], dW[k - 1])
        np.testing.assert_allclose(got[f"Alg. 2, lines {line[1]} (k = {k})"][:, 0], db[k - 1])


def test_seed000_gradient_is_the_elementwise_softmax_derivative_of_docs_math():
    # docs/math.md §4.1 worked example: one sample, logits (0.3, -0.2), target (1, 0), MSE
    p = Problem([], [], np.zeros((1, 1)), np.array([[1.0], [0.0]]), [], "softmax", "mse")
    g = seed000_output_gradient(p, np.array([[0.3], [-0.2]]))
    np.testing.assert_allclose(g[:, 0], [-0.04436173, 0.04436173], atol=1e-8)


def test_seed000_gradient_option_prints_both_beside_finite_differences(capsys):
    code, out, _ = explain(capsys, "--config", EXAMPLES / "seed000.toml", "--seed000-gradient")
    assert code == 0
    errors = re.findall(r"seed 000 vs finite differences: max relative error (\S+)", out)
    correct = re.findall(r"backprop vs finite differences: max relative error (\S+)", out)
    assert len(errors) == len(correct) == 5
    assert all(float(e) > 1e-2 for e in errors) and all(float(c) < 1e-6 for c in correct)


def test_seed000_gradient_needs_the_seed000_network(capsys, tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[network]\nlayers = [2, 3, 2]\nloss = "cross_entropy"\n')
    code, _, err = explain(capsys, "--config", cfg, "--seed000-gradient")
    assert code == 2 and err.count("\n") == 1 and "mse or mse+ce" in err


def test_samples_explain_chosen_rows_as_a_teaching_view(capsys):
    code, out, _ = explain(capsys, "--config", EXAMPLES / "seed000.toml", "--samples", "0,1")
    assert code == 0 and "a teaching view" in out and "not a step the run took" in out
    assert matrix_after(out, "X").shape == (2, 2)


def test_samples_out_of_range_is_a_one_line_error(capsys):
    code, _, err = explain(capsys, "--config", EXAMPLES / "seed000.toml", "--samples", "999")
    assert code == 2 and "out of range" in err and err.count("\n") == 1


@pytest.mark.slow
def test_run_folder_recorded_parameters_give_the_same_step_as_retraining(capsys, tmp_path):
    out = tmp_path / "run"
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        '[data]\ndataset = "moons"\n[network]\nlayers = [2, 4, 2]\n'
        "[training]\nepochs = 6\nbatch_size = 50\nlr = 0.3\nrecord_params = true\n"
    )
    assert cli.main(["train", "--config", str(cfg), "--out", str(out), "--no-progress"]) == 0
    capsys.readouterr()
    code, recorded, _ = explain(capsys, out, "--epoch", "4")
    assert code == 0 and "recorded parameters" in recorded
    code, retrained, _ = explain(capsys, "--config", cfg, "--epoch", "4")
    body = lambda text: text.split("\n\n", 1)[1]  # noqa: E731 - past the header
    assert body(recorded) == body(retrained)
    assert "epoch 4, step 13" in recorded  # 200 training rows in batches of 50: 3 epochs x 4


def test_epoch_out_of_range_is_a_one_line_error(capsys):
    code, _, err = explain(capsys, "--config", EXAMPLES / "seed000.toml", "--epoch", "5000")
    assert code == 2 and "--epoch must be from 1" in err


# ------------------------------------------------------------------------------- formats


def _mathtext(formula: str) -> None:
    mathtext.math_to_image(f"${formula}$", io.BytesIO(), format="png")


@pytest.mark.slow
def test_markdown_parses_and_every_formula_renders_in_mathtext(capsys):
    code, out, _ = explain(
        capsys, "--config", EXAMPLES / "seed000.toml", "--format", "md", "--seed000-gradient"
    )
    assert code == 0
    tokens = MarkdownIt("commonmark").use(dollarmath_plugin).parse(out)
    formulas = [t.content for t in tokens if t.type == "math_block"]
    for t in tokens:
        if t.type == "inline":
            formulas += [c.content for c in t.children if c.type == "math_inline"]
    headings = [t for t in tokens if t.type == "heading_open" and t.tag == "h2"]
    # 2-2-2: Alg. 1 lines 6, 8, 9, 10, 11, 12, 13; Alg. 2 lines 1, 2-3, 4, 5, 7, 8-9, 10;
    # four updates: one section each, with its equation as a display formula
    assert len(headings) == 18
    # and a name per matrix shown: 8 in Alg. 1, 4 for the loss, 8 in Alg. 2, 3 an update
    assert sum(t.type == "math_block" for t in tokens) == 18 and len(formulas) == 18 + 32
    for formula in formulas:
        _mathtext(formula)


@pytest.mark.slow
def test_latex_is_a_complete_document_whose_equations_render(capsys):
    code, out, _ = explain(capsys, "--config", EXAMPLES / "seed000.toml", "--format", "tex")
    assert code == 0
    assert out.startswith(r"\documentclass{article}") and out.rstrip().endswith(r"\end{document}")
    displays = re.findall(r"\\\[ (.*?) \\\]", out)
    assert len(displays) > 40
    for d in displays:
        if r"\begin{bmatrix}" in d:
            body = d.split(r"\begin{bmatrix}")[1].split(r"\end{bmatrix}")[0]
            widths = {row.count("&") for row in body.split(r"\\")}
            assert len(widths) == 1, d  # every row has the same number of columns
            _mathtext(d.split(" = ", 1)[0] if " = " in d else "x")
        else:
            _mathtext(d)
    assert out.count("{") == out.count("}")


def test_text_and_markdown_say_the_same_numbers():
    p = Problem(
        [np.array([[0.5, -0.25]])], [np.array([0.1])], np.array([[1.0], [2.0]]),
        np.array([[0.3]]), [], "identity", "mse", "mean", 0.5,
    )  # fmt: skip
    entries = ledger(p)
    text, md = render(entries, "text"), render(entries, "md")
    # by hand: a = 0.5·1 - 0.25·2 + 0.1 = 0.1; J = (0.1 - 0.3)² / 2 = 0.02; g = -0.2;
    # ∇W = g xᵀ = (-0.2, -0.4)
    assert "0.02" in text and "0.02" in md
    assert "-0.2  -0.4" in text and "-0.2  -0.4" in md
    # the update: W <- W - 0.5 ∇W = (0.5 + 0.1, -0.25 + 0.2) = (0.6, -0.05)
    assert "0.6  -0.05" in text and "0.6  -0.05" in md


@pytest.mark.slow
def test_seed000_gradients_example_trains_with_both_and_the_seeds_learns_slower(tmp_path):
    import subprocess
    import sys

    out = tmp_path / "g.png"
    args = ["--loss", "mse", "--lr", "0.5", "--epochs", "100", "--out", str(out)]
    run = subprocess.run(
        [sys.executable, str(EXAMPLES / "seed000_gradients.py"), *args],
        capture_output=True,
        text=True,
        check=True,
    )
    final = [float(line.split()[-1]) for line in run.stdout.splitlines() if "loss after" in line]
    assert len(final) == 2 and final[0] < final[1]  # correct, then seed 000's
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_explain_a_split_standardised_adam_run_says_so_and_checks_out(capsys, tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        '[data]\ndataset = "moons"\nval_split = 0.25\nstandardize = true\n'
        '[network]\nlayers = [2, 3, 2]\nactivation = "sigmoid"\n'
        '[training]\nepochs = 3\nbatch_size = 40\noptimizer = "adam"\nlr = 0.01\n'
    )
    code, out, _ = explain(capsys, "--config", cfg, "--epoch", "2")
    assert code == 0
    assert "(standardised)" in out and "this run's optimiser (adam) updates differently" in out
    assert "batch 1 of the epoch: 40 of the 150 training rows" in out
    errors = re.findall(r"backprop vs finite differences: max relative error (\S+)", out)
    assert len(errors) == 5 and all(float(e) < 1e-6 for e in errors)

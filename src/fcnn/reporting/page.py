"""The report page: plotly.js inlined once in the head (no CDN: it opens from file://), then
the run's config and summary, and each figure in its own section."""

from __future__ import annotations

import html
import json
from typing import Any

import plotly.io as pio
from plotly.offline import get_plotlyjs

from .. import __version__
from ..runs.folder import CONFIG
from .source import DIAGNOSTICS, Run

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto;
       max-width: 1280px; padding: 0 1.2em 3em; color: #1b1b1b; line-height: 1.45; }
h1 { margin: 0.8em 0 0.2em; } h2 { margin-top: 1.6em; border-bottom: 1px solid #ddd; }
.note { color: #555; font-size: 0.93em; } table.summary td { padding: 0.1em 1.2em 0.1em 0; }
table.summary td:first-child { color: #555; } pre { background: #f6f6f6; padding: 0.8em;
  overflow-x: auto; font-size: 0.88em; } .cols { display: flex; gap: 2em; flex-wrap: wrap; }
.cols > div { flex: 1 1 420px; } nav a { margin-right: 1em; }
"""
_CONFIG = {"displaylogo": False, "responsive": True, "toImageButtonOptions": {"format": "png"}}


def figure_html(fig: dict[str, Any], div_id: str) -> str:
    """One figure's div and script (plotly.js itself is in the head)."""
    fig.setdefault("layout", {})
    return pio.to_html(
        fig,
        include_plotlyjs=False,
        full_html=False,
        validate=False,
        auto_play=False,
        div_id=div_id,
        config=_CONFIG,
        default_width="100%",
        default_height=f"{fig['layout'].get('height', 450)}px",
    )


def summary_rows(run: Run) -> list[tuple[str, str]]:
    """(name, value) rows of the summary table."""
    cols, h, net = run.columns, run.history, run.net
    n, held = len(run.ds.X), int(run.held_out.sum())
    rows = [
        ("network", html.escape(repr(net))),
        (
            "data",
            f"{n} rows of {run.ds.X.shape[1]} features; {n - held} trained on, {held} held out",
        ),
        ("epochs", str(int(cols["epoch"][-1])) if "epoch" in cols else "0"),
    ]
    for key in ("loss", *(k for k in cols if k not in ("epoch", "lr", "loss"))):
        if key in cols and len(cols[key]):
            rows.append((key, f"{cols[key][-1]:.6g}"))
    if h.stopped_early:
        rows.append(("stopped", f"early; the model is the best epoch's, {h.best_epoch}"))
    elif h.restored_best:
        rows.append(("model", f"the best epoch's, {h.best_epoch} (early stopping did not fire)"))
    return rows


def _section(sid: str, title: str, body: str, note: str = "") -> str:
    note = f'<p class="note">{note}</p>' if note else ""
    return f'<section id="{sid}"><h2>{html.escape(title)}</h2>{note}{body}</section>'


def page(run: Run, sections: list[tuple[str, str, dict | None, str]]) -> str:
    """The whole page: ``sections`` are ``(id, title, figure dict or None, note)``; a
    section without a figure shows its note alone."""
    table = "".join(f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in summary_rows(run))
    config_text = (run.folder / CONFIG).read_text(encoding="utf-8")
    parts = [
        _section(
            "summary",
            "Config and summary",
            f'<div class="cols"><div><table class="summary">{table}</table></div>'
            f"<div><pre>{html.escape(config_text)}</pre></div></div>",
            f"Built by fcnn {__version__} from the files of {html.escape(str(run.folder))}.",
        )
    ]
    for sid, title, fig, note in sections:
        body = figure_html(fig, f"fig-{sid}") if fig is not None else ""
        parts.append(_section(sid, title, body, html.escape(note)))
    nav = " ".join(f'<a href="#{sid}">{html.escape(t)}</a>' for sid, t, _, _ in sections)
    title = html.escape(f"fcnn run {run.folder.name}")
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<style>{_CSS}</style><script>{get_plotlyjs()}</script></head><body>"
        f"<h1>{title}</h1><nav>{nav}</nav>{''.join(parts)}"
        f"<script>window.FCNN_REPORT = {json.dumps({'diagnostics_file': DIAGNOSTICS})};</script>"
        "</body></html>\n"
    )

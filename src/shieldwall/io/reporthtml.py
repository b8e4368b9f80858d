"""Building blocks of ``report.html``: reading a folder's files with one-line errors, and HTML
that needs nothing outside the page (inline CSS, inline SVG, PNG as ``data:`` URLs, no script,
no web font, no link to anything but the page's own sections).

Every string that comes from a folder is escaped; numbers are formatted here so tables read
alike across run and study reports.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from html import escape
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from rich.table import Table
from rich.text import Text
from ruamel.yaml import YAML, YAMLError

from shieldwall.io.jsonshape import shape_problem

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
NOTICE = (
    "Notional, public-figure model: every parameter is a public, approximate, class-level"
    " figure or a notional assumption (sources in the catalog). Not a prediction of any real"
    " system, unit or event."
)
# nothing but the page itself: images only as data: URLs, styles only inline, no script
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
  margin: 0; color: #1d2329; background: #f6f7f9; line-height: 1.45; }
main { max-width: 1080px; margin: 0 auto; padding: 24px 28px 48px; background: #fff; }
h1 { font-size: 1.7em; margin: 0 0 4px; }
h2 { font-size: 1.25em; margin: 34px 0 10px; padding-bottom: 4px;
  border-bottom: 2px solid #d6dbe1; }
h3 { font-size: 1.02em; margin: 18px 0 4px; }
p.meta { color: #56606b; margin: 0 0 10px; }
p.caption { color: #56606b; font-size: 0.88em; margin: 4px 0 16px; }
.notice { background: #fff6e0; border-left: 4px solid #d68910; padding: 8px 12px; margin: 12px 0;
  font-size: 0.92em; }
nav { font-size: 0.92em; margin: 12px 0 0; }
nav a { margin-right: 14px; color: #1f5fa8; text-decoration: none; }
table { border-collapse: collapse; margin: 8px 0 6px; font-size: 0.9em; }
th, td { padding: 3px 12px; border-bottom: 1px solid #e3e6ea; text-align: right; }
th { background: #eef1f4; font-weight: 600; }
th.l, td.l { text-align: left; }
tr.total td { font-weight: 600; border-top: 1.5px solid #9aa3ad; }
div.row { display: flex; flex-wrap: wrap; gap: 8px 40px; align-items: flex-start; }
figure { margin: 10px 0; }
figure svg { display: block; width: 100%; height: auto; }
figure img { display: block; max-width: 100%; height: auto; }
footer { margin-top: 40px; color: #7a838c; font-size: 0.82em; }
"""


class ReportError(Exception):
    """A folder no report can be made of (one line: what and where)."""


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def read_json(
    path: Path, shape: object = None, check: Callable[[dict], str | None] | None = None
) -> dict:
    """A JSON object from ``path`` (ReportError when missing, unreadable, not an object, out
    of ``shape`` (see :mod:`~shieldwall.io.jsonshape`), or, once in shape, when ``check``
    finds its numbers disagree)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ReportError(f"{path}: not readable JSON ({_first_line(exc)})") from None
    if not isinstance(data, dict):
        raise ReportError(f"{path}: not a JSON object")
    problem = None if shape is None else shape_problem(data, shape)
    if not problem and check is not None:
        problem = check(data)
    if problem:
        raise ReportError(f"{path}: {problem}; not as shieldwall writes it (run it again)")
    return data


def read_yaml(path: Path) -> dict:
    """A YAML mapping from ``path`` (an empty dict when the file is absent)."""
    if not path.exists():
        return {}
    try:
        data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, YAMLError) as exc:
        raise ReportError(f"{path}: not readable YAML ({_first_line(exc)})") from None
    if not isinstance(data, dict):
        raise ReportError(f"{path}: not a YAML mapping")
    return data


def read_parquet(path: Path, columns: tuple[str, ...]) -> pa.Table:
    """The Parquet table at ``path``; ReportError when it is missing, corrupt, or lacks one
    of ``columns``."""
    if not path.is_file():
        raise ReportError(f"{path}: missing; shieldwall writes it (run it again)")
    try:
        table = pq.read_table(path)
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise ReportError(f"{path}: not a readable Parquet file ({_first_line(exc)})") from None
    missing = [c for c in columns if c not in table.column_names]
    if missing:
        raise ReportError(f"{path}: no column {', '.join(missing)}; not made by shieldwall?")
    return table


def png_data(path: Path) -> bytes | None:
    """The bytes of a PNG file, or None when there is none or it is not a PNG (the caller
    tells the two apart with ``path.exists()``)."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    return data if data.startswith(PNG_MAGIC) else None


def img(data: bytes, alt: str) -> str:
    """A PNG embedded as a ``data:`` URL (no request leaves the page)."""
    b64 = base64.b64encode(data).decode("ascii")
    return f'<img src="data:image/png;base64,{b64}" alt="{escape(alt)}">'


def figure(content: str, caption: str) -> str:
    """A figure (inline SVG or an :func:`img`) with an escaped caption below."""
    return f'<figure>{content}</figure>\n<p class="caption">{escape(caption)}</p>'


def usd(x: float | None) -> str:
    if x is None:
        return "n/a"
    return f"${x / 1e6:,.1f}M" if abs(x) >= 1e5 else f"${x:,.0f}"


def num(x: float | int | None, digits: int = 3) -> str:
    """An integer as is (with thousands separators), a float to ``digits`` significant."""
    if x is None:
        return "n/a"
    if isinstance(x, int) or float(x).is_integer():
        return f"{int(x):,}"
    return f"{x:,.{digits}g}" if abs(x) < 10**digits else f"{x:,.0f}"


def _row(cells: tuple, cls: str = "", left: frozenset[int] = frozenset()) -> str:
    inner = "".join(
        f'<td class="l">{escape(str(c))}</td>' if k in left else f"<td>{escape(str(c))}</td>"
        for k, c in enumerate(cells)
    )
    return f'<tr class="{cls}">{inner}</tr>' if cls else f"<tr>{inner}</tr>"


def table(
    headers: tuple[str, ...] | None,
    rows: list[tuple],
    total: tuple | None = None,
    strong: frozenset[int] = frozenset(),
    left: int | frozenset[int] = 1,
) -> str:
    """An HTML table: numbers right-aligned, the first ``left`` columns (or the columns
    numbered in ``left``) left-aligned labels; ``total`` is a bold last row, as are the rows
    numbered in ``strong``; no header row when ``headers`` is None. Cells are escaped."""
    lcols = frozenset(range(left)) if isinstance(left, int) else left
    head = ""
    if headers is not None:
        cells = "".join(
            f'<th class="l">{escape(h)}</th>' if k in lcols else f"<th>{escape(h)}</th>"
            for k, h in enumerate(headers)
        )
        head = f"<thead><tr>{cells}</tr></thead>"
    body = [_row(r, "total" if k in strong else "", lcols) for k, r in enumerate(rows)]
    if total is not None:
        body.append(_row(total, "total", lcols))
    return f"<table>{head}<tbody>{''.join(body)}</tbody></table>"


def _plain(cell: object) -> str:
    """A rich cell as plain text (markup such as ``[bold]`` dropped)."""
    if isinstance(cell, Text):
        return cell.plain
    return Text.from_markup(str(cell)).plain


def rich_table(t: Table) -> str:
    """A terminal table (:mod:`shieldwall.io.studytables`, ``valuetables``) as HTML, so the
    page shows the numbers the command printed: its title as a heading, its bold rows bold,
    its caption below."""
    columns = [[_plain(c) for c in col.cells] for col in t.columns]
    rows = list(zip(*columns, strict=True))
    strong = frozenset(k for k, r in enumerate(t.rows) if str(r.style or "") == "bold")
    head = tuple(_plain(c.header) for c in t.columns) if t.show_header else None
    left = frozenset(k for k, c in enumerate(t.columns) if c.justify == "left")
    title = f"<h3>{escape(_plain(t.title))}</h3>" if t.title else ""
    caption = f'<p class="caption">{escape(_plain(t.caption))}</p>' if t.caption else ""
    return title + table(head, rows, strong=strong, left=left) + caption


def side_by_side(*blocks: str) -> str:
    """Blocks (tables with their headings) next to each other, wrapping on narrow pages."""
    return '<div class="row">' + "".join(f"<div>{b}</div>" for b in blocks if b) + "</div>"


def section(anchor: str, heading: str, *parts: str) -> tuple[str, str, str]:
    """One section of a page: its anchor, heading and body (HTML parts, joined)."""
    return anchor, heading, "\n".join(p for p in parts if p)


def page(title: str, meta: str, intro: str, sections: list[tuple[str, str, str]]) -> str:
    """The whole page: title, a line of metadata, an intro (escaped), the notice, a table of
    contents and the sections; no script, no external resource."""
    nav = " ".join(f'<a href="#{a}">{escape(h)}</a>' for a, h, _ in sections)
    body = "\n".join(
        f'<section id="{a}">\n<h2>{escape(h)}</h2>\n{b}\n</section>' for a, h, b in sections
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<title>{escape(title)}</title>
<style>{CSS}</style>
</head>
<body>
<main>
<h1>{escape(title)}</h1>
<p class="meta">{escape(meta)}</p>
{f"<p>{escape(intro)}</p>" if intro else ""}
<div class="notice">{escape(NOTICE)}</div>
<nav>{nav}</nav>
{body}
<footer>Made by <code>shieldwall report</code> from the files of this folder; self-contained:
it loads nothing from anywhere.</footer>
</main>
</body>
</html>
"""


__all__ = [
    "NOTICE",
    "ReportError",
    "figure",
    "img",
    "num",
    "page",
    "png_data",
    "read_json",
    "read_parquet",
    "read_yaml",
    "rich_table",
    "section",
    "side_by_side",
    "table",
    "usd",
]

"""Writing a :class:`~helpers.tools.report_doc.Document` as Markdown (``report.md``) and as
LaTeX (``report.tex``, which compiles on its own with ``pdflatex``): figures and tables float
near their text (``[htbp]``) with ``\\label``/``\\ref``; the Markdown numbers them the same way.
"""

from __future__ import annotations

import re

from .report_doc import Block, Document
from .report_text import caption, latex_document, markdown_text, markdown_to_latex

__all__ = ["latex", "markdown"]


def _md_cell(text: str) -> str:
    return markdown_text(text).replace("|", "\\|")


def _md_refs(text: str, doc: Document) -> str:
    def number(m: re.Match[str]) -> str:
        ref = m.group(1)
        if ref.startswith("tab:"):
            return ref[4:]
        return str(doc.figure_numbers.get(ref, "?"))

    return re.sub(r"\[\[([^\]]+)\]\]", number, text)


def markdown(doc: Document) -> str:
    lines = [f"# {markdown_text(doc.title)}", ""]
    for b in doc.blocks:
        if b.kind == "heading":
            lines += ["", "#" * (b.level + 1) + " " + markdown_text(b.text), ""]
        elif b.kind == "para":
            lines += [markdown_text(_md_refs(b.text, doc)), ""]  # refs first: no symbol in a ref
        elif b.kind == "figure" and b.figure:
            words = markdown_text(caption(b.figure.notebook, b.figure.stem))
            lines += [f"![Figure {b.number}: {words}]({b.figure.notebook}/{b.figure.stem}.png)",
                      "", f"*Figure {b.number}: {words}*", ""]  # fmt: skip
        elif b.kind == "table" and b.table:
            t = b.table
            if t.caption:
                lines += [f"*Table {b.number}: {markdown_text(t.caption)}.*", ""]
            lines += ["| " + " | ".join(_md_cell(h) for h in t.header) + " |",
                      "|" + "---|" * len(t.header)]  # fmt: skip
            lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in t.rows]
            lines += ["", f"*{markdown_text(t.note)}.*", ""] if t.note else [""]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"


def _cell(text: str) -> str:
    return markdown_to_latex(text)


def _latex_table(b: Block) -> list[str]:
    """A table at its natural width; a wide one spans the line with wrapping columns."""
    t = b.table
    assert t is not None
    n = len(t.header)
    widths = [max(len(r[i]) for r in [t.header, *t.rows]) for i in range(n)]
    wide = sum(widths) * 5.2 + 12 * n > 470  # points, at \small
    if wide:
        spec = ("@{}>{\\raggedright\\arraybackslash}p{0.26\\linewidth}"
                + ">{\\raggedleft\\arraybackslash}X" * (n - 1) + "@{}")
        begin, end = rf"\begin{{tabularx}}{{\linewidth}}{{{spec}}}", r"\end{tabularx}"
    else:
        begin, end = rf"\begin{{tabular}}{{@{{}}l{'r' * (n - 1)}@{{}}}}", r"\end{tabular}"
    out = [r"\begin{table}[htbp]", r"\centering\small"]
    if t.caption:
        out.append(rf"\caption{{{_cell(t.caption)}.}}\label{{tab:{b.number}}}")
    out += [begin, r"\toprule"]
    out += [" & ".join(_cell(h) for h in t.header) + r" \\", r"\midrule"]
    out += [" & ".join(_cell(c) for c in row) + r" \\" for row in t.rows]
    out += [r"\bottomrule", end]
    if t.note:
        out.append(rf"\par\smallskip\emph{{{_cell(t.note)}.}}")
    out.append(r"\end{table}")
    return out


def latex(doc: Document) -> str:
    body: list[str] = []
    commands = {1: "section", 2: "subsection", 3: "subsubsection"}
    started = False
    for b in doc.blocks:
        if b.kind == "newpage":
            if started:
                body.append(r"\FloatBarrier")
        elif b.kind == "heading":
            started = True
            # no \needspace: LaTeX keeps a heading with its next lines, and \needspace moved
            # whole sections on with half a page left
            body.append(rf"\{commands[b.level]}*{{{markdown_to_latex(b.text)}}}")
        elif b.kind == "para":
            text = re.sub(r"\[\[(fig:[^\]]+)\]\]",
                          lambda m: f"[[fig:{doc.figure_numbers.get(m.group(1), 0)}]]", b.text)
            text = markdown_to_latex(text)
            text = re.sub(r" ?\[\[((fig|tab):\d+)\]\]", r"~\\ref{\1}", text)
            body += [text, ""]
        elif b.kind == "figure" and b.figure:
            f = b.figure
            body += [
                r"\begin{figure}[htbp]",
                r"\centering",
                (r"\includegraphics[max width=\linewidth,max height=0.4\textheight]"
                 rf"{{{f.notebook}/{f.stem}.pdf}}"),
                rf"\caption{{{_cell(caption(f.notebook, f.stem))}}}\label{{fig:{b.number}}}",
                r"\end{figure}",
            ]
        elif b.kind == "table" and b.table:
            body += _latex_table(b)
    return latex_document(doc.title, body)

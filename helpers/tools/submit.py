"""The course's submission files from notebooks: ``python -m helpers exercises --submit NOTEBOOK
... --out DIR``.

The course grades ``q1_solution.py``, ``q2_solution.py`` and ``q3_solution.py`` (the starter's
file, class and function names and signatures). :func:`write_submission` writes them from
notebooks, holding each graded function *as written in the notebook*: the student's code in
the exercise edition, the reference's own source in the workbook edition (whose cells bind
``name = vae.name``). Whatever that code uses from ``helpers`` (a private helper, a constant,
the inherited ``SimSiam.__init__`` that builds the encoder, projector and predictor) is written
into the file too, so that it imports with torch (and numpy) alone; the starter's imports of
its samplers, models and PIL are the grader's business.

The notebook is read, not run: its import statements are the only code executed, and only
those that bind a name the graded code uses.
"""

from __future__ import annotations

import ast
import inspect
import re
import sys
import textwrap
import types
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .code_reading import (
    NotebookCode,
    bound_by,
    dotted,
    free_names,
    is_docstring,
    is_helpers,
    segment,
    undecorated,
)  # fmt: skip

__all__ = ["FILES", "Submission", "SubmitError", "submission_sources", "write_submission"]

FILES: dict[str, tuple[str, ...]] = {
    "q1_solution.py": ("log_likelihood_bernoulli", "log_likelihood_normal", "log_mean_exp",
                       "kl_gaussian_gaussian_analytic", "kl_gaussian_gaussian_mc"),
    "q2_solution.py": ("lp_reg", "vf_wasserstein_distance"),
    "q3_solution.py": ("CosineSimilarity", "SimSiam"),
}  # fmt: skip
"""Each submission file and the names it holds, in the starter's files."""

_STANDARD = {  # the starter's imports that need nothing but torch and numpy
    "q1_solution.py": ["import math", "import numpy as np", "import torch"],
    "q2_solution.py": ["import torch"],
    "q3_solution.py": ["import torch", "import torch.nn as nn", "import torch.nn.functional as F",
                       "from torch import Tensor", "from torch.nn import Module"],
}  # fmt: skip
_ALLOWED = {"torch", "numpy"} | set(sys.stdlib_module_names)


class SubmitError(ValueError):
    """A notebook whose graded code cannot be written out."""


# --- writing --------------------------------------------------------------------------------


@dataclass
class Submission:
    """One submission file's text, the graded names it holds and what a reader should know."""

    name: str
    text: str
    graded: list[str]
    notes: list[str]


class _Writer:
    """Collects the definitions one file needs, dependencies first."""

    def __init__(self, notebook: NotebookCode, standard: list[str]) -> None:
        self.nb = notebook
        self.imports: list[str] = list(standard)
        self.chunks: list[str] = []
        self.emitted: dict[str, Any] = {}  # name in the file -> what it is
        self.replaces: dict[int, str] = {}  # id(helpers class) -> the notebook's class
        self.notes: list[str] = []
        self._active: set[str] = set()
        for line in standard:
            namespace: dict[str, Any] = {}
            exec(line, namespace)
            for name, obj in namespace.items():
                if name != "__builtins__":
                    self.emitted[name] = obj

    # names in the notebook

    def notebook_name(self, name: str, attrs: Iterable[str] = ()) -> None:
        if name in self.emitted or name in self._active:
            return
        if name not in self.nb.defs:
            self.notes.append(f"`{name}` is used but not defined in {self.nb.path.name}; the "
                              "file does not define it either")  # fmt: skip
            self.emitted[name] = None
            return
        node, lines = self.nb.defs[name]
        if isinstance(node, ast.Import | ast.ImportFrom):
            self.object(name, self.nb.value(name), attrs)
            return
        if isinstance(node, ast.Assign | ast.AnnAssign):
            path = dotted(node.value)
            if path and path[0] != name:  # name = vae.log_mean_exp: a binding of a reference
                obj = self._follow(path)
                if obj is not None and (inspect.isfunction(obj) or inspect.isclass(obj)):
                    self.object(name, obj, attrs)
                    return
        self._active.add(name)
        if isinstance(node, ast.ClassDef):
            text = self._notebook_class(node, lines)
        else:
            text = segment(lines, node)
            for free, sub in free_names(node).free().items():
                if free != name:
                    self.notebook_name(free, sub)
        self._active.discard(name)
        self.emitted[name] = node
        self.chunks.append(text)

    def _follow(self, path: list[str]) -> Any:
        if path[0] not in self.nb.defs:
            return None
        node, _ = self.nb.defs[path[0]]
        if not isinstance(node, ast.Import | ast.ImportFrom):
            return None
        obj = self.nb.value(path[0])
        for part in path[1:]:
            obj = getattr(obj, part, None)
        return obj

    def _notebook_class(self, node: ast.ClassDef, lines: list[str]) -> str:
        """A class of the notebook; one that subclasses a class of ``helpers`` is written
        flat: the helpers class's bases, the notebook's body, and the helpers methods it needs
        (``__init__`` and what its methods call on ``self``)."""
        bases = [self._follow(p) if (p := dotted(b)) else None for b in node.bases]
        helper_bases = [b for b in bases if inspect.isclass(b) and is_helpers(b)]
        body_lines: list[str] = []
        own: set[str] = set()
        used: set[str] = set()
        for stmt in node.body:
            path = dotted(stmt.value) if isinstance(stmt, ast.Assign) else None
            target = self._follow(path) if path else None
            if target is not None and inspect.isfunction(target) and is_helpers(target):
                # forward = simsiam.SimSiam.forward: the reference's source, as written there
                name = stmt.targets[0].id  # type: ignore[attr-defined]
                body_lines.append(self._method_source(target, name))
                own.add(name)
                used |= self._module_names_of(target)
                continue
            text = textwrap.dedent(segment(lines, stmt))
            body_lines.append(textwrap.indent(text, "    "))
            found = free_names(stmt)
            own |= set(bound_by(stmt))
            used |= found.self_attrs
            for free, sub in found.free().items():
                if free != node.name:
                    self.notebook_name(free, sub)
        if not helper_bases:
            header = segment(lines, node).splitlines()[0]
            for base in node.bases:
                if (p := dotted(base)) is not None:
                    self.notebook_name(p[0], p[1:2])
            return header + "\n" + "\n\n".join(body_lines)
        (helper,) = helper_bases[:1]
        self.replaces[id(helper)] = node.name
        source = textwrap.dedent(inspect.getsource(helper))
        tree = ast.parse(source)
        cls = tree.body[0]
        assert isinstance(cls, ast.ClassDef)
        src_lines = source.splitlines()
        module = sys.modules[helper.__module__]
        for base in cls.bases:
            for free, sub in free_names(base).free().items():
                self.module_name(free, module.__dict__, sub)
        header = f"class {node.name}({', '.join(ast.unparse(b) for b in cls.bases)}):"
        methods = {s.name: s for s in cls.body if isinstance(s, ast.FunctionDef)}
        inherited: list[str] = []
        inherited_text: list[str] = []
        wanted = ["__init__", *sorted(used)]
        while wanted:
            method = wanted.pop(0)
            if method in own or method not in methods or method in inherited:
                continue
            inherited.append(method)
            stmt = methods[method]
            text = textwrap.indent(textwrap.dedent(segment(src_lines, stmt)), "    ")
            inherited_text.append(text)
            found = free_names(stmt)
            wanted += sorted(found.self_attrs)
            for free, sub in found.free().items():
                self.module_name(free, module.__dict__, sub)
        if inherited:
            self.notes.append(f"{node.name}: {', '.join(inherited)} written out from "
                              f"{helper.__module__}.{helper.__qualname__}")  # fmt: skip
        doc = 1 if body_lines and is_docstring(node.body[0]) else 0
        parts = [*body_lines[:doc], *inherited_text, *body_lines[doc:]]
        return header + "\n" + "\n\n".join(parts)

    def _method_source(self, fn: Any, name: str) -> str:
        source = textwrap.dedent(inspect.getsource(fn))
        tree = ast.parse(source)
        node = tree.body[0]
        text = undecorated(source.splitlines(), node)
        node.decorator_list = []  # type: ignore[attr-defined]
        if node.name != name:  # type: ignore[attr-defined]
            text = text.replace(f"def {node.name}(", f"def {name}(", 1)  # type: ignore[attr-defined]
        return textwrap.indent(text, "    ")

    def _module_names_of(self, fn: Any) -> set[str]:
        node = ast.parse(textwrap.dedent(inspect.getsource(fn))).body[0]
        node.decorator_list = []  # type: ignore[attr-defined]
        found = free_names(node)
        for free, sub in found.free().items():
            self.module_name(free, fn.__globals__, sub)
        return found.self_attrs

    # names in a module of helpers

    def module_name(self, name: str, namespace: dict[str, Any], attrs: Iterable[str] = ()) -> None:
        if name not in namespace:
            if name not in self.emitted:
                self.notes.append(f"`{name}` is not found where helpers defines its code")
            return
        self.object(name, namespace[name], attrs)

    def object(self, name: str, obj: Any, attrs: Iterable[str] = ()) -> None:
        """Make ``name`` mean ``obj`` in the file: an import, a literal, or source."""
        if id(obj) in self.replaces:
            if self.replaces[id(obj)] != name:
                self._claim(name, obj, f"{name} = {self.replaces[id(obj)]}")
            return
        if isinstance(obj, types.ModuleType):
            if is_helpers(obj):
                self._namespace(name, obj, attrs)
            else:
                self._import(name, obj)
            return
        if is_helpers(obj) and (inspect.isfunction(obj) or inspect.isclass(obj)):
            self._source(name, obj)
            return
        if isinstance(obj, bool | int | float | str | type(None)):
            self._claim(name, obj, f"{name} = {obj!r}")
            return
        module = getattr(obj, "__module__", None)
        qualname = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
        if module and qualname and getattr(sys.modules.get(module), qualname, None) is obj:
            line = f"from {module} import {qualname}"
            self._import(name, obj, line if qualname == name else f"{line} as {name}")
            return
        self.notes.append(f"`{name}` ({type(obj).__name__}) cannot be written into the file")

    def _claim(self, name: str, obj: Any, text: str | None) -> bool:
        if name in self.emitted:
            if self.emitted[name] is not obj:
                raise SubmitError(
                    f"two things named `{name}` are needed (one from the notebook, one from "
                    "helpers): rename yours"
                )
            return False
        self.emitted[name] = obj
        if text is not None:
            self.chunks.append(text)
        return True

    def _import(self, name: str, obj: Any, line: str | None = None) -> None:
        if line is None:
            full = obj.__name__
            parent, _, last = full.rpartition(".")
            line = (f"import {full}" if full == name else f"from {parent} import {last}"
                    if last == name else f"import {full} as {name}")  # fmt: skip
        top = (line.split()[1]).split(".")[0]
        if top not in _ALLOWED:
            self.notes.append(f"`{line}`: this file then needs the package {top}")
        if name in self.emitted and self.emitted[name] is obj:
            return
        self._claim(name, obj, None)
        if line not in self.imports:
            self.imports.append(line)

    def _source(self, name: str, obj: Any) -> None:
        if name in self.emitted:
            self._claim(name, obj, None)
            return
        source = textwrap.dedent(inspect.getsource(obj))
        node = ast.parse(source).body[0]
        text = undecorated(source.splitlines(), node)
        node.decorator_list = []  # type: ignore[attr-defined]
        if node.name != name:  # written under the name the file needs (another holds its own)
            first, _, rest = text.partition("\n")
            old = node.name  # type: ignore[attr-defined]
            first = re.sub(rf"^(\s*(?:async\s+)?(?:def|class)\s+){old}\b", rf"\g<1>{name}", first)
            text = f"{first}\n{rest}"
        self.emitted[name] = obj
        namespace = (
            sys.modules[obj.__module__].__dict__ if inspect.isclass(obj) else obj.__globals__
        )
        for free, sub in free_names(node).free().items():
            if free != getattr(node, "name", None):
                self.module_name(free, namespace, sub)
        self.chunks.append(text)

    def _namespace(self, name: str, module: types.ModuleType, attrs: Iterable[str]) -> None:
        members = []
        for attr in sorted(attrs):
            obj = getattr(module, attr, None)
            if obj is None:
                self.notes.append(f"`{name}.{attr}` is not found in {module.__name__}")
                continue
            target = self.replaces.get(id(obj))
            if target is None:
                target = attr if attr not in self.emitted or self.emitted[attr] is obj else (
                    f"_{name}_{attr}")  # fmt: skip
                self.object(target, obj)
            members.append(f"{attr}={target}")
        if "from types import SimpleNamespace" not in self.imports:
            self.imports.append("from types import SimpleNamespace")
        self._claim(name, module, None)
        listed = "".join(f"\n    {m}," for m in members)
        self.chunks.append(
            f"# What the code uses of {module.__name__}, under the name it reads it by.\n"
            f"{name} = SimpleNamespace({listed}\n)"
        )


_HEADER = (
    "{file}: {what}, written by `python -m helpers exercises --submit` from {notebook}: "
    "{names} as written there. What they use from the workbook's helpers is written out too, "
    "so that this file imports with torch (and numpy) alone."
)


def submission_sources(notebook: Path) -> list[Submission]:
    """The submission files a notebook holds: each file of :data:`FILES` whose graded names
    it defines (all of them)."""
    try:
        scope = NotebookCode.read(Path(notebook))
    except ValueError as err:
        raise SubmitError(str(err)) from None
    out = []
    for file, names in FILES.items():
        present = [n for n in names if n in scope.defs]
        if not present:
            continue
        if len(present) < len(names):
            missing = ", ".join(n for n in names if n not in present)
            raise SubmitError(f"{Path(notebook).name} defines {', '.join(present)} but not "
                              f"{missing}, which {file} needs")  # fmt: skip
        writer = _Writer(scope, _STANDARD[file])
        for name in names:
            writer.notebook_name(name)
        graded = list(writer.chunks)
        what = {"q1_solution.py": "Problem 1 (VAE)", "q2_solution.py": "Problem 2 (WGAN-LP)",
                "q3_solution.py": "Problem 3 (SimSiam)"}[file]  # fmt: skip
        doc = _HEADER.format(file=file, what=what, notebook=Path(notebook).name,
                             names=", ".join(names))  # fmt: skip
        header = '"""' + textwrap.fill(doc, 96) + '\n"""\n\nfrom __future__ import annotations\n'

        text = "\n".join([header, *writer.imports, "", "", "\n\n\n".join(graded), ""])
        compile(text, file, "exec")
        out.append(Submission(file, text, list(names), writer.notes))
    return out


def write_submission(notebooks: Iterable[Path], out: Path) -> list[Submission]:
    """Write the submission files of ``notebooks`` into ``out``; what was written."""
    written: list[Submission] = []
    for notebook in notebooks:
        for sub in submission_sources(Path(notebook)):
            if any(s.name == sub.name for s in written):
                raise SubmitError(f"two notebooks give {sub.name}")
            written.append(sub)
    out.mkdir(parents=True, exist_ok=True)
    for sub in written:
        (out / sub.name).write_text(sub.text)
    return written

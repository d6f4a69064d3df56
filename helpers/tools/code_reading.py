"""Reading Python code without running it, for :mod:`helpers.tools.submit`: the names a piece
of code uses but does not define (:class:`FreeNames`), and a notebook's top-level definitions
(:class:`NotebookCode`), whose import statements are the only code ever executed.
"""

from __future__ import annotations

import ast
import builtins
import json
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "FreeNames", "NotebookCode", "bound_by", "dotted", "free_names", "is_docstring", "is_helpers",
    "segment", "strip_magics", "undecorated",
]  # fmt: skip


def strip_magics(source: str) -> str:
    lines = source.splitlines()
    keep = [("# " + line) if line.lstrip().startswith(("%", "!")) else line for line in lines]
    return "\n".join(keep)


def segment(lines: list[str], node: ast.stmt) -> str:
    """The source lines of ``node`` (its decorators included), as written."""
    first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    return "\n".join(lines[first - 1 : node.end_lineno])


def undecorated(lines: list[str], node: ast.stmt) -> str:
    return "\n".join(lines[node.lineno - 1 : node.end_lineno])


class FreeNames(ast.NodeVisitor):
    """The names a piece of code loads but does not bind, the attributes it reads from each,
    and the attributes of ``self`` and ``super()`` it uses."""

    def __init__(self) -> None:
        self.loaded: dict[str, set[str]] = {}
        self.bound: set[str] = set()
        self.self_attrs: set[str] = set()

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            self.loaded.setdefault(node.id, set())
        else:
            self.bound.add(node.id)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        base = node.value
        if isinstance(base, ast.Name) and isinstance(base.ctx, ast.Load):
            self.loaded.setdefault(base.id, set()).add(node.attr)
            if base.id == "self":
                self.self_attrs.add(node.attr)
            return
        if (isinstance(base, ast.Call) and isinstance(base.func, ast.Name)
                and base.func.id == "super"):  # fmt: skip
            self.self_attrs.add(node.attr)
        self.generic_visit(node)

    def _arguments(self, args: ast.arguments) -> None:
        for a in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
            if a is not None:
                self.bound.add(a.arg)  # annotations are not evaluated (__future__ annotations)
        for d in [*args.defaults, *args.kw_defaults]:
            if d is not None:
                self.visit(d)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.bound.add(node.name)
        self._arguments(node.args)
        for d in node.decorator_list:
            self.visit(d)
        for stmt in node.body:
            self.visit(stmt)

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._arguments(node.args)
        self.visit(node.body)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.bound.add(node.name)
        for n in [*node.bases, *node.decorator_list, *node.body]:
            self.visit(n)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self.visit(node.target)
        if node.value is not None:
            self.visit(node.value)

    def visit_Import(self, node: ast.Import | ast.ImportFrom) -> None:
        for alias in node.names:
            self.bound.add((alias.asname or alias.name).split(".")[0])

    visit_ImportFrom = visit_Import  # type: ignore[assignment]

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        if node.name:
            self.bound.add(node.name)
        self.generic_visit(node)

    def visit_arg(self, node: ast.arg) -> None:
        self.bound.add(node.arg)

    def free(self) -> dict[str, set[str]]:
        skip = self.bound | set(dir(builtins)) | {"__class__"}
        return {n: a for n, a in self.loaded.items() if n not in skip}


def free_names(node: ast.AST) -> FreeNames:
    found = FreeNames()
    found.visit(node)
    return found


@dataclass
class NotebookCode:
    """A notebook's top-level definitions, by name: the last one of each."""

    path: Path
    defs: dict[str, tuple[ast.stmt, list[str]]] = field(default_factory=dict)
    _values: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def read(cls, path: Path) -> NotebookCode:
        scope = cls(path)
        cells = json.loads(path.read_text())["cells"]
        for cell in cells:
            if cell["cell_type"] != "code":
                continue
            source = strip_magics("".join(cell["source"]))
            try:
                tree = ast.parse(source)
            except SyntaxError as err:
                raise ValueError(f"{path.name}: a code cell does not parse: {err}") from None
            lines = source.splitlines()
            for node in tree.body:
                for name in bound_by(node):
                    scope.defs[name] = (node, lines)
        return scope

    def value(self, name: str) -> Any:
        """The object an import statement binds to ``name`` (importing it)."""
        if name not in self._values:
            node, _ = self.defs[name]
            alias = next(a for a in node.names if (a.asname or a.name).split(".")[0] == name)
            where = {"module": node.module, "level": node.level} if isinstance(
                node, ast.ImportFrom) else {}  # fmt: skip
            one = type(node)(names=[alias], **where)
            namespace: dict[str, Any] = {}
            exec(compile(ast.fix_missing_locations(ast.Module([one], [])), str(self.path), "exec"),
                 namespace)  # fmt: skip
            self._values[name] = namespace[name]
        return self._values[name]


def bound_by(node: ast.stmt) -> list[str]:
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
        return [node.name]
    if isinstance(node, ast.Import | ast.ImportFrom):
        return [(a.asname or a.name).split(".")[0] for a in node.names if a.name != "*"]
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target = node.targets[0]
        if isinstance(target, ast.Name):
            return [target.id]
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
        return [node.target.id]
    return []


def is_docstring(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )


def is_helpers(obj: Any) -> bool:
    module = obj.__name__ if isinstance(obj, types.ModuleType) else getattr(obj, "__module__", "")
    return isinstance(module, str) and (module == "helpers" or module.startswith("helpers."))


def dotted(node: ast.expr) -> list[str] | None:
    """``a.b.c`` -> ["a", "b", "c"]; None for any other expression."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return [node.id, *reversed(parts)]
    return None

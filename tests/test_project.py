"""Project hygiene: packaging agrees with environment.yml; notebooks are clean and uniform."""

from __future__ import annotations

import ast
import json
import re
import shutil
from pathlib import Path

import pytest
import tomllib

import helpers
from helpers.notebook import colab, sync_notebooks

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())

# conda names of pip packages where they differ
CONDA_NAMES = {"torch": "pytorch"}


def _requirement(line: str) -> tuple[str, str]:
    match = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(.*)$", line)
    assert match, line
    return match.group(1).lower(), match.group(2).replace(" ", "")


def test_environment_yml_agrees_with_pyproject():
    project = PYPROJECT["project"]
    wanted = dict(_requirement(r) for r in project["dependencies"])
    wanted.update(_requirement(r) for r in project["optional-dependencies"]["test"])
    wanted = {CONDA_NAMES.get(k, k): v for k, v in wanted.items()}
    text = (ROOT / "environment.yml").read_text()
    lines = text.split("dependencies:", 1)[1].splitlines()
    conda = {}
    for line in lines:
        m = re.match(r"^  - ([A-Za-z0-9_.\-]+)(\S*)\s*$", line)
        if m and m.group(1) not in ("python", "pip"):
            conda[m.group(1).lower()] = m.group(2)
    assert conda == wanted


def test_constraints_pin_every_dependency():
    pins = dict(
        _requirement(line)
        for line in (ROOT / "constraints.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    )
    project = PYPROJECT["project"]
    names = {_requirement(r)[0] for r in project["dependencies"]}
    names |= {_requirement(r)[0] for r in project["optional-dependencies"]["test"]}
    assert names <= set(pins), f"unpinned: {names - set(pins)}"
    assert all(v.startswith("==") for v in pins.values())


def test_version_matches():
    assert PYPROJECT["project"]["version"] == helpers.__version__


def test_there_are_notebooks():
    assert [p.stem for p in NOTEBOOKS][:1] == ["00_datasets"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_clean_and_uniform(path):
    nb = json.loads(path.read_text())
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    for i, cell in enumerate(code):
        assert not cell.get("outputs"), f"{path.name}: code cell {i + 1} holds outputs"
        assert cell.get("execution_count") is None, f"{path.name}: code cell {i + 1} has a count"
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    config = "".join(code[1]["source"])
    assert f'workbook.start(\n    "{path.stem}"' in config
    assert "print(wb)" in config


def test_notebooks_badges_and_set_up_cells_follow_pyproject():
    """One place for the repository and ref: ``python -m helpers sync-notebooks`` wrote them."""
    assert sync_notebooks(ROOT, check=True) == []
    url, ref = colab.repository(ROOT)
    for path in NOTEBOOKS:
        nb = json.loads(path.read_text())
        first_md = next(c for c in nb["cells"] if c["cell_type"] == "markdown")
        assert colab.badge_url(url, ref, path.name) in "".join(first_md["source"])
        setup = "".join(next(c for c in nb["cells"] if c["cell_type"] == "code")["source"])
        assert f'"{url}"' in setup and f'"{ref}"' in setup and "--no-deps" in setup


def test_sync_notebooks_rewrites_a_changed_repository(tmp_path):
    shutil.copytree(ROOT / "notebooks", tmp_path / "notebooks")
    text = (ROOT / "pyproject.toml").read_text()
    url, _ = colab.repository(ROOT)
    fork = "https://github.com/someone/fork"
    (tmp_path / "pyproject.toml").write_text(text.replace(f'"{url}"', f'"{fork}"'))
    assert len(sync_notebooks(tmp_path)) == len(NOTEBOOKS)
    assert sync_notebooks(tmp_path, check=True) == []
    text = (tmp_path / "notebooks" / NOTEBOOKS[0].name).read_text()
    code = [c for c in json.loads(text)["cells"] if c["cell_type"] == "code"]
    setup = "".join(code[0]["source"])
    assert "someone/fork/blob/" in text and f'"WORKBOOK_REPO", "{fork}"' in setup
    assert url not in text


def test_student_facing_text_has_no_issue_numbers_or_version_history():
    """README.md and the notebooks speak to students: no "issue 13", no "previous version"
    (the development record lives in benchmarks/README.md)."""
    root = Path(__file__).resolve().parent.parent
    pattern = re.compile(r"\bissue \d+|\bissue that asked|previous version|this version", re.I)
    for path in [root / "README.md", *sorted((root / "notebooks").glob("*.ipynb"))]:
        hits = pattern.findall(path.read_text())
        assert not hits, f"{path.name}: {hits}"


def _private_helpers_names(path: Path) -> list[str]:
    """Private names (``_x``, not dunders) that ``path`` takes from ``helpers``: imported with
    ``from helpers[.m] import _x``, or read as ``m._x`` from a module bound by an import."""
    def private(name: str) -> bool:
        return name.startswith("_") and not name.startswith("__")

    tree = ast.parse(path.read_text())
    modules, found = set(), []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "helpers":
            for alias in node.names:
                if private(alias.name):
                    found.append(f"{node.module}.{alias.name}")
                modules.add(alias.asname or alias.name)  # a module (or a function, class...)
            if any(private(part) for part in (node.module or "").split(".")):
                found.append(node.module or "")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "helpers":
                    modules.add(alias.asname or alias.name.split(".")[0])
                    found += [alias.name for part in alias.name.split(".") if private(part)]
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and private(node.attr):
            base = node.value
            while isinstance(base, ast.Attribute):
                base = base.value
            if isinstance(base, ast.Name) and base.id in modules:
                found.append(f"{ast.unparse(node)}")
    return found


def test_helper_modules_stay_small_and_benchmarks_use_only_public_names(tmp_path):
    """Every module of helpers/ keeps to 400 lines (split it along its seams when it grows),
    and benchmarks/ reads no private name (``_x``) of helpers: what it needs gets a public
    entry point."""
    root = Path(__file__).resolve().parent.parent
    long = {str(p.relative_to(root)): n for p in sorted((root / "helpers").rglob("*.py"))
            if (n := len(p.read_text().splitlines())) > 400}  # fmt: skip
    assert not long, f"helpers modules over 400 lines: {long}"
    private = {p.name: names for p in sorted((root / "benchmarks").glob("*.py"))
               if (names := _private_helpers_names(p))}  # fmt: skip
    assert not private, f"benchmarks use private names of helpers: {private}"
    # the check finds both forms
    probe = tmp_path / "probe.py"
    probe.write_text("from helpers import vae\nfrom helpers.data import _spec\nvae._flat(1)\n")
    assert _private_helpers_names(probe) == ["helpers.data._spec", "vae._flat"]


# The layout: problems over layers, the tools on top (README.md, "Layout").
LAYERS = ("profiles", "train", "data", "notebook", "common")
PROBLEMS = ("vae", "gan", "simsiam", "autoencoders")
TOOLS = ("tools", "__main__")


def helpers_imports(root: Path) -> dict[str, set[str]]:
    """Module (``helpers.vae.figures``) -> the helpers modules it imports, module-level and
    inside functions alike (``from helpers.data import load`` gives ``helpers.data``, and
    ``from helpers import vae`` the package ``helpers.vae``)."""
    graph: dict[str, set[str]] = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        module = ".".join(parts[:-1] if is_package else parts)
        package = parts[:-1]
        found = graph.setdefault(module, set())
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                found |= {a.name for a in node.names if a.name.split(".")[0] == "helpers"}
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package[: len(package) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                if target.split(".")[0] != "helpers":
                    continue
                for alias in node.names:  # a submodule when it is one, else the module itself
                    sub = f"{target}.{alias.name}"
                    sub_path = root.parent / sub.replace(".", "/")
                    is_module = sub_path.with_suffix(".py").exists() or sub_path.is_dir()
                    found.add(sub if is_module else target)
    return graph


def _top(module: str) -> str:
    return module.split(".")[1] if "." in module else ""


def layering_problems(graph: dict[str, set[str]]) -> list[str]:
    """Imports against the layout: a layer importing a problem or the tools, a problem
    importing the tools."""
    wrong = []
    for module, imported in graph.items():
        for target in imported:
            if _top(target) == "":
                continue
            if _top(module) in LAYERS and _top(target) in PROBLEMS + TOOLS:
                wrong.append(f"{module} (a layer) imports {target}")
            if _top(module) in PROBLEMS and _top(target) in TOOLS:
                wrong.append(f"{module} (a problem) imports {target}")
    return wrong


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Circles of imports between modules (a package's ``__init__`` counts as the package)."""
    cycles, state = [], {}

    def visit(module: str, stack: list[str]) -> None:
        state[module] = "open"
        for target in sorted(graph.get(module, ())):
            if target == module or module.startswith(target + "."):  # a module's own package
                continue
            if state.get(target) == "open":
                cycles.append([*stack[stack.index(target) :], target])
            elif target not in state:
                visit(target, [*stack, target])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    return cycles


def re_exports(path: Path) -> list[str]:
    """Names that a module other than a package's ``__init__`` re-exports: ``import x as x``,
    ``from m import x as x``, or an imported name listed in ``__all__``."""
    tree = ast.parse(path.read_text())
    imported, found = set(), []
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                name = alias.asname or alias.name.split(".")[0]
                imported.add(name)
                if alias.asname and alias.asname == alias.name.split(".")[-1]:
                    found.append(f"{alias.name} as {alias.asname}")
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            found += [e.value for e in node.value.elts if e.value in imported]
    return found


def test_layers_never_import_problems_and_nothing_imports_in_circles():
    graph = helpers_imports(ROOT / "helpers")
    assert {"helpers.vae.course", "helpers.train.loop", "helpers.tools.cli"} <= set(graph)
    assert not layering_problems(graph)
    assert not import_cycles(graph)
    # the checks find what they look for
    bad = {**graph, "helpers.data.loaders": graph["helpers.data.loaders"] | {"helpers.vae"}}
    assert layering_problems(bad) == ["helpers.data.loaders (a layer) imports helpers.vae"]
    bad = {**graph, "helpers.vae.models": graph["helpers.vae.models"] | {"helpers.tools.report"}}
    assert layering_problems(bad) == ["helpers.vae.models (a problem) imports helpers.tools.report"]
    bad = {**graph, "helpers.train.fileio": {"helpers.train.loop"}}
    assert import_cycles(bad)


def test_only_package_inits_re_export(tmp_path):
    offenders = {
        str(p.relative_to(ROOT)): names
        for p in sorted((ROOT / "helpers").rglob("*.py"))
        if p.name != "__init__.py" and (names := re_exports(p))
    }
    assert not offenders, f"modules that re-export names: {offenders}"
    probe = tmp_path / "probe.py"
    probe.write_text("from .a import x as x\nfrom .b import y\n__all__ = ['y', 'z']\nz = 1\n")
    assert re_exports(probe) == ["x as x", "y"]


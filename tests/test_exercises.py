"""The exercise edition: generated from the notebooks' solution markers, identical every time,
kept equal to the committed ``exercises/``, and run top to bottom in the smoke profile both
with the stubs left as they are and with solutions pasted in."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest

from helpers.notebook import colab
from helpers.tools import STUB, exercise_source, run_notebook, write_exercises

from .test_course_api import COURSE_SIGNATURES

ROOT = Path(__file__).resolve().parent.parent
GRADED = {
    "01_vae": [
        "log_likelihood_bernoulli", "log_likelihood_normal", "log_mean_exp",
        "kl_gaussian_gaussian_analytic", "kl_gaussian_gaussian_mc",
    ],
    "02_gans": ["vf_wasserstein_distance", "lp_reg"],
    "03_simsiam": ["CosineSimilarity.forward", "SimSiam.forward", "SimSiam.loss"],
}  # fmt: skip

# A student's solutions, written independently of helpers: what "pasted back" pastes.
SOLUTIONS = {
    "log_likelihood_bernoulli": """
        mu = mu.reshape(mu.shape[0], -1).clamp(1e-7, 1 - 1e-7)
        target = target.reshape(target.shape[0], -1)
        return (target * torch.log(mu) + (1 - target) * torch.log(1 - mu)).sum(dim=1)
    """,
    "log_likelihood_normal": """
        import math

        mu, logvar, z = (t.reshape(t.shape[0], -1) for t in (mu, logvar, z))
        return -0.5 * (math.log(2 * math.pi) + logvar + (z - mu) ** 2 / logvar.exp()).sum(dim=1)
    """,
    "log_mean_exp": """
        a = y.max(dim=1, keepdim=True).values
        return (a + (y - a).exp().mean(dim=1, keepdim=True).log()).squeeze(1)
    """,
    "kl_gaussian_gaussian_analytic": """
        mq, lq, mp, lp = (t.reshape(t.shape[0], -1) for t in (mu_q, logvar_q, mu_p, logvar_p))
        return 0.5 * (lp - lq + (lq.exp() + (mq - mp) ** 2) / lp.exp() - 1).sum(dim=1)
    """,
    "kl_gaussian_gaussian_mc": """
        import math

        mq, lq, mp, lp = (t.reshape(t.shape[0], 1, -1) for t in (mu_q, logvar_q, mu_p, logvar_p))
        eps = torch.randn(mq.shape[0], num_samples, mq.shape[2], device=mq.device, dtype=mq.dtype)
        z = mq + (0.5 * lq).exp() * eps
        log_q = -0.5 * (math.log(2 * math.pi) + lq + (z - mq) ** 2 / lq.exp()).sum(-1)
        log_p = -0.5 * (math.log(2 * math.pi) + lp + (z - mp) ** 2 / lp.exp()).sum(-1)
        return (log_q - log_p).mean(dim=1)
    """,
    "vf_wasserstein_distance": """
        return critic(p).mean() - critic(q).mean()
    """,
    "lp_reg": """
        t = torch.rand(x.shape[0], *([1] * (x.dim() - 1)), device=x.device)
        x_hat = (t * x + (1 - t) * y).detach().requires_grad_(True)
        grad = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)[0]
        norm = grad.reshape(grad.shape[0], -1).norm(dim=1)
        return torch.clamp(norm - 1, min=0).pow(2).mean()
    """,
    "CosineSimilarity.forward": """
        dot = (x1 * x2).sum(dim=self.dim)
        return dot / (x1.norm(dim=self.dim) * x2.norm(dim=self.dim)).clamp(min=self.eps)
    """,
    "SimSiam.forward": """
        z1, z2 = self.encoder(x1), self.encoder(x2)
        p1, p2 = self.predictor(z1), self.predictor(z2)
        if self.stop_gradient:
            z1, z2 = z1.detach(), z2.detach()
        return p1, p2, z1, z2
    """,
    "SimSiam.loss": """
        if isinstance(similarity_function, str):
            similarity = CosineSimilarity(dim=1)
        elif isinstance(similarity_function, type):
            similarity = similarity_function(dim=1)
        else:
            similarity = similarity_function
        return -0.5 * (similarity(p1, z2).mean() + similarity(p2, z1).mean())
    """,
}
_DEF = re.compile(r"^(\s*)(class|def) (\w+)")


def paste_solutions(nb: dict) -> list[str]:
    """Replace each stub's body in ``nb`` by :data:`SOLUTIONS`; the names pasted."""
    pasted = []
    for cell in nb["cells"]:
        if cell["cell_type"] != "code" or STUB not in "".join(cell["source"]):
            continue
        out, scope = [], {}
        for line in "".join(cell["source"]).splitlines():
            match = _DEF.match(line)
            if match:
                depth = len(match[1])
                scope = {d: n for d, n in scope.items() if d < depth}
                scope[depth] = match[3]
            if line.strip() == STUB:
                indent = line[: len(line) - len(line.lstrip())]
                name = ".".join(scope[d] for d in sorted(scope) if d < len(indent))
                body = textwrap.dedent(SOLUTIONS[name]).strip("\n")
                out += [indent + row if row else "" for row in body.splitlines()]
                pasted.append(name)
            else:
                out.append(line)
        cell["source"] = "\n".join(out).splitlines(keepends=True)
    return pasted


@pytest.fixture(scope="module")
def editions(tmp_path_factory) -> Path:
    """The exercise edition in ``<tmp>/exercises`` beside a link to the package, as in a clone."""
    root = tmp_path_factory.mktemp("exercise-edition")
    (root / "helpers").symlink_to(ROOT / "helpers", target_is_directory=True)
    write_exercises(ROOT, root / "exercises")
    return root


def _files(folder: Path) -> dict[str, tuple[int, int]]:
    """Each file under ``folder``: (size, modification time); a run that trains changes them."""
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}  # fmt: skip


def _cells(path: Path) -> list[str]:
    return ["".join(c["source"]) for c in json.loads(path.read_text())["cells"]]


def test_generating_twice_gives_identical_files(tmp_path, editions):
    assert write_exercises(ROOT, editions / "exercises", check=True) == []
    again = write_exercises(ROOT, tmp_path / "exercises")
    assert [p.name for p in again] == [p.name for p in sorted((ROOT / "notebooks").glob("*.ipynb"))]
    for path in again:
        assert path.read_bytes() == (editions / "exercises" / path.name).read_bytes()


def test_the_committed_exercise_edition_is_up_to_date():
    """``exercises/`` is what Colab's badges open: ``python -m helpers exercises`` rewrites it."""
    assert write_exercises(ROOT, check=True) == []


def test_each_graded_function_is_a_stub_with_the_course_signature_and_a_check(editions):
    signatures = {fn.__qualname__: sig for fn, sig in COURSE_SIGNATURES.items()}
    for stem, names in GRADED.items():
        cells = _cells(editions / "exercises" / f"{stem}.ipynb")
        text = "\n".join(cells)
        assert "BEGIN SOLUTION" not in text
        assert not re.search(r"^\s*\w+ = (vae|gan|simsiam)\.\w+(\.\w+)?$", text, re.M)
        for qualname in names:
            method = qualname.rsplit(".", 1)[-1]
            sig = signatures[qualname]
            index = next(i for i, c in enumerate(cells) if f"def {method}{sig}:" in c)
            stub = cells[index]
            after = stub.split(f"def {method}{sig}:", 1)[1]
            assert after.lstrip().startswith('"""'), qualname  # the docstring
            assert STUB in after, qualname
            assert "check." in cells[index + 1], f"{qualname}: no check cell after the stub"


def test_exercise_notebooks_are_colab_ready(editions):
    url, ref = colab.repository(ROOT)
    for path in sorted((editions / "exercises").glob("*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        first_md = "".join(next(c for c in cells if c["cell_type"] == "markdown")["source"])
        assert colab.badge_url(url, ref, path.name, "exercises") in first_md
        setup = "".join(next(c for c in cells if c["cell_type"] == "code")["source"])
        assert setup == colab.setup_cell(url, ref, "dgm-workbook")


def test_a_solution_region_must_bind_references():
    source = "### BEGIN SOLUTION\nlog_mean_exp = vae.log_mean_exp\n### END SOLUTION"
    text, names = exercise_source(source)
    assert names == ["log_mean_exp"] and text.startswith("def log_mean_exp(y):\n")
    with pytest.raises(ValueError, match=r"expected `name = module\.attr`"):
        exercise_source("### BEGIN SOLUTION\nx = 1 + 1\n### END SOLUTION")
    with pytest.raises(ValueError, match="without"):
        exercise_source("### BEGIN SOLUTION\nlog_mean_exp = vae.log_mean_exp")


def test_paste_solutions_fills_every_stub(editions):
    for stem, names in GRADED.items():
        nb = json.loads((editions / "exercises" / f"{stem}.ipynb").read_text())
        assert sorted(paste_solutions(nb)) == sorted(names)


@pytest.mark.parametrize("edition", ["stubs", "solutions"])
@pytest.mark.parametrize("stem", list(GRADED))
def test_exercise_notebook_runs_in_the_smoke_profile(stem, edition, editions, monkeypatch):
    """Top to bottom: with the stubs, each check says "not written yet" and the rest falls back
    to the reference, training nothing: it loads the checkpoints the workbook edition trained
    (run first, into the same folder); with solutions pasted in, every check passes and
    training uses them."""
    path = editions / "exercises" / f"{stem}.ipynb"
    if edition == "solutions":
        nb = json.loads(path.read_text())
        paste_solutions(nb)
        path = editions / "solved" / path.name
        path.parent.mkdir(exist_ok=True)
        path.write_text(json.dumps(nb))
    out = editions / f"run-{edition}"
    checkpoints = out / "checkpoints"
    monkeypatch.setenv("WORKBOOK_CHECKPOINT_DIR", str(checkpoints))
    if edition == "stubs":  # the workbook edition trains the checkpoints first
        workbook = run_notebook(ROOT / "notebooks" / path.name, profile="smoke", data="synthetic",
                                figures_root=out / "workbook-figures", progress=False)  # fmt: skip
        assert workbook.ok, workbook.error
    before = _files(checkpoints)
    result = run_notebook(
        path, profile="smoke", data="synthetic", figures_root=out / "figures", progress=False
    )
    assert result.ok, result.error
    if edition == "stubs":
        assert before and _files(checkpoints) == before, "the untouched exercise edition trained"
    outputs = "".join(
        "".join(o.get("text", "")) for c in json.loads(result.executed.read_text())["cells"]
        for o in c.get("outputs", [])
    )  # fmt: skip
    for name in GRADED[stem]:
        if edition == "stubs":
            assert f"NOT YET {name}: not written yet" in outputs, name
            assert f"{name}: not passing yet, so the reference" in outputs, name
        else:
            assert f"PASS {name}: all" in outputs, name
            assert f"{name}: yours (it passes its checks)" in outputs, name
    assert ("NOT YET" in outputs) == (edition == "stubs")

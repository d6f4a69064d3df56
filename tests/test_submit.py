"""``python -m helpers exercises --submit``: the course's q1/q2/q3_solution.py from a notebook,
with the starter's names and signatures, the functions as written there, importable where
``helpers`` is not, and passing the checks once loaded from the files."""

from __future__ import annotations

import importlib.util
import inspect
import json
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.gan import check as gan_check
from helpers.simsiam import check as simsiam_check
from helpers.tools.exercises import write_exercises
from helpers.tools.submit import FILES, SubmitError, submission_sources, write_submission
from helpers.vae import check as vae_check

from .test_exercises import paste_solutions

ROOT = Path(__file__).resolve().parent.parent
STEMS = ("01_vae", "02_gans", "03_simsiam")
STARTER = {  # the course's starter (assignment3/q*_solution.py): names and parameters
    "q1_solution.py": {
        "log_likelihood_bernoulli": ["mu", "target"],
        "log_likelihood_normal": ["mu", "logvar", "z"],
        "log_mean_exp": ["y"],
        "kl_gaussian_gaussian_analytic": ["mu_q", "logvar_q", "mu_p", "logvar_p"],
        "kl_gaussian_gaussian_mc": ["mu_q", "logvar_q", "mu_p", "logvar_p", "num_samples=1"],
    },
    "q2_solution.py": {"lp_reg": ["x", "y", "critic"],
                       "vf_wasserstein_distance": ["p", "q", "critic"]},
    "q3_solution.py": {
        "SimSiam.__init__": ["self", "base_encoder", "dim=2048", "pred_dim=512",
                             "stop_gradient=True", "MLP_mode=None"],
        "SimSiam.forward": ["self", "x1", "x2"],
        "SimSiam.loss": ["self", "p1", "p2", "z1", "z2", "similarity_function='CosineSimilarity'"],
        "CosineSimilarity.__init__": ["self", "dim=1", "eps=1e-08"],
        "CosineSimilarity.forward": ["self", "x1", "x2"],
    },
}  # fmt: skip
CHECKS = {
    "log_likelihood_bernoulli": vae_check.log_likelihood_bernoulli,
    "log_likelihood_normal": vae_check.log_likelihood_normal,
    "log_mean_exp": vae_check.log_mean_exp,
    "kl_gaussian_gaussian_analytic": vae_check.kl_gaussian_gaussian_analytic,
    "kl_gaussian_gaussian_mc": vae_check.kl_gaussian_gaussian_mc,
    "vf_wasserstein_distance": gan_check.vf_wasserstein_distance,
    "lp_reg": gan_check.lp_reg,
}
# Importing each file where `import helpers` fails: they need torch (and numpy) alone.
NO_HELPERS = """
import importlib.util, sys
sys.modules["helpers"] = None  # any import of helpers now raises ImportError
for path in sys.argv[1:]:
    spec = importlib.util.spec_from_file_location(path.rsplit("/", 1)[-1][:-3], path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert not [m for m in sys.modules if m.startswith("helpers.")], "helpers was imported"
    print(path.rsplit("/", 1)[-1], "imports")
"""


@pytest.fixture(scope="module")
def solved(tmp_path_factory) -> Path:
    """The exercise notebooks of 01-03 with a student's solutions pasted into every stub."""
    root = tmp_path_factory.mktemp("solved")
    write_exercises(ROOT, root / "exercises")
    for stem in STEMS:
        nb = json.loads((root / "exercises" / f"{stem}.ipynb").read_text())
        paste_solutions(nb)
        (root / f"{stem}.ipynb").write_text(json.dumps(nb))
    return root


def _load(path: Path):
    spec = importlib.util.spec_from_file_location(f"submitted_{path.parent.name}_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _signature(obj) -> list[str]:
    return [str(p.replace(annotation=inspect.Parameter.empty))
            for p in inspect.signature(obj).parameters.values()]  # fmt: skip


@pytest.mark.parametrize("edition", ["workbook", "solved"])
def test_submission_files_import_without_helpers_and_pass_the_checks(edition, solved, tmp_path):
    folder = ROOT / "notebooks" if edition == "workbook" else solved
    out = tmp_path / edition
    written = write_submission([folder / f"{stem}.ipynb" for stem in STEMS], out)
    assert [s.name for s in written] == list(FILES)
    files = [str(out / name) for name in FILES]
    run = subprocess.run([sys.executable, "-c", NO_HELPERS, *files], capture_output=True,
                         text=True, cwd=tmp_path)  # fmt: skip
    assert run.returncode == 0, run.stderr
    for name, members in STARTER.items():
        module = _load(out / name)
        for qualname, params in members.items():
            obj = module
            for part in qualname.split("."):
                obj = getattr(obj, part)
            assert _signature(obj) == params, qualname
    q1, q2, q3 = (_load(out / name) for name in FILES)
    for name, checks in CHECKS.items():
        result = checks(getattr(q1 if name in FILES["q1_solution.py"] else q2, name))
        assert result.passed, result
    assert simsiam_check.cosine_similarity(q3.CosineSimilarity).passed
    assert simsiam_check.simsiam_forward(q3.SimSiam).passed
    assert simsiam_check.simsiam_loss(q3.SimSiam).passed


def test_the_files_hold_the_functions_as_written(solved, tmp_path):
    """The student's code verbatim from the exercise edition; the reference's own source from
    the workbook edition, with the private helpers it calls; nothing of the starter's samplers,
    models or PIL."""
    student = {s.name: s.text for s in submission_sources(solved / "01_vae.ipynb")}[
        "q1_solution.py"
    ]
    assert "return (a + (y - a).exp().mean(dim=1, keepdim=True).log()).squeeze(1)" in student
    assert "def _flat(" not in student  # the student's code calls no helper
    workbook = {s.name: s.text for s in submission_sources(ROOT / "notebooks" / "01_vae.ipynb")}
    text = workbook["q1_solution.py"]
    assert "def _flat(" in text and "def reparameterize(" in text and "LOG_2PI = " in text
    assert "_public" not in text  # decorators of helpers are not carried over
    q3 = {s.name: s for s in submission_sources(ROOT / "notebooks" / "03_simsiam.ipynb")}
    q3 = q3["q3_solution.py"]
    assert "self.encoder.fc = nn.Sequential(" in q3.text  # the inherited __init__
    assert 'MLP_mode == "no_pred_mlp"' in q3.text
    texts = [
        sub.text
        for stem in STEMS
        for sub in submission_sources(ROOT / "notebooks" / f"{stem}.ipynb")
    ]
    for text in texts:
        assert "PIL" not in text and "q2_sampler" not in text and "import helpers" not in text


def test_a_notebook_missing_a_graded_function_is_refused(tmp_path):
    nb = json.loads((ROOT / "notebooks" / "02_gans.ipynb").read_text())
    for cell in nb["cells"]:
        cell["source"] = "".join(cell["source"]).replace("lp_reg = gan.lp_reg", "pass")
    path = tmp_path / "02_gans.ipynb"
    path.write_text(json.dumps(nb))
    with pytest.raises(SubmitError, match="not lp_reg"):
        submission_sources(path)


def test_the_command_line_writes_the_files(tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "helpers", "exercises", "--submit",
         *(str(ROOT / "notebooks" / f"{stem}.ipynb") for stem in STEMS), "--out", str(tmp_path)],
        capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(FILES)
    assert "q3_solution.py: CosineSimilarity, SimSiam" in run.stdout


CALLS_HELPERS = """
        mq, lq, mp, lp = (t.reshape(t.shape[0], 1, -1) for t in (mu_q, logvar_q, mu_p, logvar_p))
        z = vae.reparameterize(mq.expand(-1, num_samples, -1), lq.expand(-1, num_samples, -1))
        rows = z.reshape(-1, z.shape[-1])
        q = [t.expand_as(z).reshape(rows.shape) for t in (mq, lq)]
        p = [t.expand_as(z).reshape(rows.shape) for t in (mp, lp)]
        log_q = vae.log_likelihood_normal(*q, rows)
        log_p = vae.log_likelihood_normal(*p, rows)
        return (log_q - log_p).reshape(mq.shape[0], num_samples).mean(1)
"""


def test_what_the_students_code_calls_from_helpers_is_written_out(solved, tmp_path, monkeypatch):
    """``vae.reparameterize`` and ``vae.log_likelihood_normal`` (the reference, beside the
    student's own function of that name) come into the file under the names the code reads."""
    from . import test_exercises

    monkeypatch.setitem(test_exercises.SOLUTIONS, "kl_gaussian_gaussian_mc", CALLS_HELPERS)
    nb = json.loads((solved / "exercises" / "01_vae.ipynb").read_text())
    paste_solutions(nb)
    path = tmp_path / "01_vae.ipynb"
    path.write_text(json.dumps(nb))
    (sub,) = write_submission([path], tmp_path / "out")
    assert "vae = SimpleNamespace(" in sub.text and "def _vae_log_likelihood_normal(" in sub.text
    run = subprocess.run([sys.executable, "-c", NO_HELPERS, str(tmp_path / "out" / sub.name)],
                         capture_output=True, text=True, cwd=tmp_path)  # fmt: skip
    assert run.returncode == 0, run.stderr
    q1 = _load(tmp_path / "out" / sub.name)
    assert "(z - mu) ** 2 / logvar.exp()" in inspect.getsource(q1.log_likelihood_normal)  # theirs
    assert vae_check.kl_gaussian_gaussian_mc(q1.kl_gaussian_gaussian_mc).passed
    assert vae_check.log_likelihood_normal(q1.log_likelihood_normal).passed

"""The documents say what the records and the code say.

1. **Numbers cite records.** Every number that README.md and benchmarks/README.md quote from a
   run is listed in :data:`QUOTES` with the committed record it comes from (a ``metrics.json``
   under ``figures/``) and the key that holds it. The test finds the quoted text, reads the number
   there and the value in the record, and compares them within the text's rounding; the record's
   path must be named in the same section of the document. A number in a results table that no
   quote reads fails too, so a new number cannot go in without its record, and a rerun that
   changes a record fails here until the text follows. Only the benchmarks' "Development record"
   section is left out: it says that no record of its numbers was kept.
2. **Every setting named.** Each environment variable that ``helpers/``, ``benchmarks/`` or the
   tests read is named in docs/reference.md (the internal ones as internal), and every
   ``WORKBOOK_*`` that the reference names is read somewhere.
"""

from __future__ import annotations

import ast
import itertools
import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = "README.md"
BENCH = "benchmarks/README.md"
REFERENCE = "docs/reference.md"

# Sections whose numbers have no committed record, and say so in their first lines.
UNRECORDED_SECTIONS = {BENCH: ("Development record",)}

DEMO = "figures/demo/{}/metrics.json"
VAE_FULL = "figures/full/01_vae/metrics.json"
AE_FULL = "figures/full/04_autoencoders/metrics.json"
GANS = DEMO.format("02_gans")
SIMSIAM = DEMO.format("03_simsiam")
AE_DEMO = DEMO.format("04_autoencoders")
SIMSIAM_REAL = "figures/demo-real/03_simsiam/metrics.json"
SEEDS = "benchmarks/simsiam_seeds.json"  # Problem 3's demo on several seeds
REAL_SUBSET = "benchmarks/simsiam_real_subset.json"  # run (a) longer on real CIFAR-10
REAL_20K = "benchmarks/simsiam_real_20k.json"
A_REAL = ("seeds.0.raw", "seeds.0.untrained", "seeds.0.runs.stop_gradient.knn",
          "seeds.0.runs.stop_gradient.std", "seeds.0.runs.stop_gradient.seconds")  # fmt: skip
DATA_FULL = "figures/full/00_datasets/metrics.json"
RUNS = ("stop_gradient", "no_stop_gradient", "no_pred_mlp", "fixed_random_init")
AES = ("autoencoder", "vae_beta_0", "vae_beta_10", "vae_beta_tuned")


@dataclass(frozen=True)
class Quote:
    """``pattern`` is the document's text with ``{}`` where a number stands and ``{*}`` for any
    text in between (whitespace and line breaks match any whitespace); ``keys`` name the record's
    value for each ``{}`` in order: a dotted path into the JSON, optionally scaled (``*100`` for
    a fraction quoted as a percentage, ``/60`` for seconds quoted in minutes)."""

    document: str
    pattern: str
    record: str
    keys: tuple[str, ...]
    cited_as: str | None = None  # how the section names the record, if not by its path


NOTEBOOKS = ("00_datasets", "01_vae", "02_gans", "03_simsiam", "04_autoencoders")
EACH_DEMO = "figures/demo/<notebook>/metrics.json"  # how a section names the five demo records
ELBOS = ("valid_elbo", "test_elbo", "test_log_likelihood")
AE_NUMBERS = ("reconstruction_error", "kl", "frechet_distance")
SIMSIAM_ROW = ("final_loss", "final_knn_accuracy", "final_knn_accuracy_z", "output_std_x_sqrt_dim",
               "train_seconds")  # fmt: skip
GAN_ROW = ("frechet_distance_init", "frechet_distance", "frechet_distance_real", "iterations",
           "train_seconds")  # fmt: skip
PROBE = "linear_evaluation.{}.linear_test_accuracy"


def _keys(prefix: str, names: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(f"{prefix}.{name}" for name in names)


QUOTES: list[Quote] = [
    # README: the demo time of each notebook (its own `seconds`).
    *(Quote(README, f"| `{nb}` | {{*}} | {{}} s |", DEMO.format(nb), ("seconds",), EACH_DEMO)
      for nb in NOTEBOOKS),
    # README: Problem 1.
    Quote(README, "| course MLP, analytic KL | **{}** (target >= -102) | {} | **{}** |", VAE_FULL,
          _keys("course_mlp", ELBOS)),
    *(Quote(README, f"| course MLP, {label} | {{}} | {{}} | {{}} |", VAE_FULL, _keys(run, ELBOS))
      for label, run in [("Monte-Carlo KL", "course_mlp_mc_kl"),
                         ("latent size 2", "course_mlp_latent2"),
                         ("latent size 20", "course_mlp_latent20")]),
    # README: autoencoder vs VAE, full profile.
    Quote(README, "| autoencoder | {} | n/a | {} |", AE_FULL,
          _keys("autoencoder", ("reconstruction_error", "frechet_distance"))),
    Quote(README, "| VAE, beta = 0 | {} | {} | {} |", AE_FULL, _keys("vae_beta_0", AE_NUMBERS)),
    Quote(README, "| VAE, beta = 10 | {} | {} | {} |", AE_FULL, _keys("vae_beta_10", AE_NUMBERS)),
    Quote(README, "| VAE, tuned beta = {} | {} | {} | **{}** |", AE_FULL,
          _keys("vae_beta_tuned", ("beta", *AE_NUMBERS))),
    Quote(README, "Real floor (training vs test images): {}.", AE_FULL, ("frechet_distance_real",)),
    # README: Problem 3 in words.
    Quote(README, "SimSiam with stop-gradient reaches {}% kNN accuracy, against {}% for raw pixels "
          "and {}% for the untrained network, while without stop-gradient ({}%) and with the "
          "identity predictor ({}%) the outputs collapse (output std x sqrt(d) {} and {} against "
          "{})", SIMSIAM,
          ("stop_gradient.final_knn_accuracy", "raw_pixel_knn_accuracy",
           "untrained_network_knn_accuracy", "no_stop_gradient.final_knn_accuracy",
           "no_pred_mlp.final_knn_accuracy", "no_stop_gradient.output_std_x_sqrt_dim",
           "no_pred_mlp.output_std_x_sqrt_dim", "stop_gradient.output_std_x_sqrt_dim")),
    Quote(README, "frozen random predictor, never collapses ({}, {} and {}, above the criterion "
          "of 0.15)", SEEDS, tuple(f"seeds.{i}.runs.fixed_random_init.std" for i in range(3)),
          "benchmarks/simsiam_seeds.md"),
    Quote(README, "on the 4000-image subset, {}% against {}% for raw pixels in the demo's {} "
          "epochs", SIMSIAM_REAL, ("stop_gradient.final_knn_accuracy", "raw_pixel_knn_accuracy",
                                   "stop_gradient.epochs")),
    Quote(README, "{}% against {}% in {} epochs ({} minutes, "
          "`benchmarks/simsiam_real_subset.json`)", REAL_SUBSET,
          ("seeds.0.runs.stop_gradient.knn", "seeds.0.raw", "budget.epochs",
           "seeds.0.runs.stop_gradient.seconds/60")),
    Quote(README, "on {} images, {}% against {}% in {} epochs ({} minutes, "
          "`benchmarks/simsiam_real_20k.json`)", REAL_20K,
          ("seeds.0.train_images", "seeds.0.runs.stop_gradient.knn", "seeds.0.raw",
           "budget.epochs", "seeds.0.runs.stop_gradient.seconds/60")),
    # benchmarks/README: the demo's timings.
    *(Quote(BENCH, f"`{nb}` {{}} s", DEMO.format(nb), ("seconds",), EACH_DEMO) for nb in NOTEBOOKS),
    # benchmarks/README: the data path on real files.
    Quote(BENCH, "| binarized MNIST, real files | {} / {} images (train / test), train pixel "
          "mean {} |", DATA_FULL, _keys("binarized_mnist", ("train_images", "test_images",
                                                             "pixel_mean"))),
    Quote(BENCH, "| MNIST, real files | {} / {} images, pixel mean {} |", DATA_FULL,
          _keys("mnist", ("train_images", "test_images", "pixel_mean"))),
    Quote(BENCH, "| CIFAR-10, {}-image subset cache | {} / {} images |", DATA_FULL,
          _keys("cifar10", ("train_images", "train_images", "test_images"))),
    # benchmarks/README: Problem 2.
    Quote(BENCH, "| WGAN-LP, house-number stand-in, width 16 | {} -> {} | {} | {} | {} s |", GANS,
          _keys("wgan_lp", GAN_ROW)),
    Quote(BENCH, "| vanilla GAN, digit stand-in | {} -> {} | {} | {} | {} s |", GANS,
          _keys("vanilla_gan", GAN_ROW)),
    Quote(BENCH, "mean D(x) ends at {} on real and {} on generated images", GANS,
          _keys("vanilla_discriminator", ("d_real", "d_fake"))),
    # benchmarks/README: Problem 3, demo profile.
    *(Quote(BENCH, f"| ({letter}) {{*}} | {{}} | {{}}% | {{}}% | {{}} | {{}} s |", SIMSIAM,
            _keys(run, SIMSIAM_ROW))
      for letter, run in zip("abcd", RUNS, strict=True)),
    Quote(BENCH, "| raw pixels | | {}% |", SIMSIAM, ("raw_pixel_knn_accuracy",)),
    Quote(BENCH, "| untrained network | | {}% |", SIMSIAM, ("untrained_network_knn_accuracy",)),
    Quote(BENCH, "Linear probe on frozen backbone features, test accuracy: (a) {}% against (b) {}%",
          SIMSIAM, (PROBE.format("stop_gradient"), PROBE.format("no_stop_gradient"))),
    # benchmarks/README: Problem 3 on several seeds.
    *(Quote(BENCH, f"| {i} | {{}}% | {{}}% | {{}}% ({{}}) | {{}}% ({{}}) | {{}}% ({{}}) | "
            "{}% ({}) |", SEEDS, (f"seeds.{i}.raw", f"seeds.{i}.untrained",
             *(f"seeds.{i}.runs.{run}.{k}" for run in RUNS for k in ("knn", "std"))))
      for i in range(3)),
    # benchmarks/README: Problem 3 on the CIFAR-10 subset.
    Quote(BENCH, "raw pixels {}%; (a) kNN {}% (backbone) and {}% (z), std x sqrt(d) {}, loss {}; "
          "(b) {}%, {}, {}; (c) {}%, {}, {}; (d) {}%, {}, {}; linear probe on frozen features, "
          "test accuracy, (a) {}% against (b) {}%", SIMSIAM_REAL,
          ("raw_pixel_knn_accuracy",
           *_keys("stop_gradient", ("final_knn_accuracy", "final_knn_accuracy_z",
                                    "output_std_x_sqrt_dim", "final_loss")),
           *(key for run in RUNS[1:]
             for key in _keys(run, ("final_knn_accuracy", "output_std_x_sqrt_dim", "final_loss"))),
           PROBE.format("stop_gradient"), PROBE.format("no_stop_gradient"))),
    # benchmarks/README: run (a) longer on real CIFAR-10.
    Quote(BENCH, "| the {}-image subset ({} train / {} test), {} epochs | {*} | {}% | {}% | "
          "{}% ({}) | {} s |", REAL_SUBSET, ("seeds.0.train_images", "seeds.0.train_images",
                                    "seeds.0.test_images", "budget.epochs", *A_REAL),
          "benchmarks/simsiam_real_subset"),
    Quote(BENCH, "| {} train / {} test images of the full CIFAR-10, {} epochs | {*} | {}% | {}% | "
          "{}% ({}) | {} s |", REAL_20K, ("seeds.0.train_images", "seeds.0.test_images",
                                          "budget.epochs", *A_REAL), "benchmarks/simsiam_real_20k"),
    # benchmarks/README: autoencoder vs VAE.
    Quote(BENCH, "autoencoder {} s, beta = 0 {} s, beta = 10 {} s, tuned {} s", AE_FULL,
          tuple(f"{m}.train_seconds" for m in AES)),
    Quote(BENCH, "reconstruction error AE {}, beta = 0 {}, beta = 10 {}, tuned beta = {} {}; "
          "FD of prior samples AE {}, beta = 0 {}, beta = 10 {}, tuned {} (floor {})", AE_DEMO,
          (*(f"{m}.reconstruction_error" for m in AES[:3]), "vae_beta_tuned.beta",
           "vae_beta_tuned.reconstruction_error", *(f"{m}.frechet_distance" for m in AES),
           "frechet_distance_real")),
    Quote(BENCH, "the digit classifier is {}% sure of its label on the AE's images and {}% on "
          "the VAE's", AE_DEMO, ("interpolation_midpoint_confidence.AE*100",
                                 "interpolation_midpoint_confidence.VAE*100")),
]  # fmt: skip

NUMBER = r"([-+]?\d[\d,]*(?:\.\d+)?)"


def _regex(pattern: str) -> re.Pattern[str]:
    out = []
    for part in re.split(r"(\{\}|\{\*\})", _plain(pattern)):
        if part == "{}":
            out.append(NUMBER)
        elif part == "{*}":
            out.append(r".*?")
        else:
            out += [r"\s+" if w.isspace() else re.escape(w) for w in re.split(r"(\s+)", part) if w]
    return re.compile("".join(out))


def _plain(text: str) -> str:
    """``text`` without Markdown's bold marks (each ``**`` becomes two spaces: same offsets)."""
    return text.replace("**", "  ")


def _text(document: str) -> str:
    return _plain((ROOT / document).read_text())


def _value(record: dict, key: str) -> float:
    scale = 1.0
    if m := re.fullmatch(r"(.+?)([*/])(\d+(?:\.\d+)?)", key):
        key, op, factor = m.group(1), m.group(2), float(m.group(3))
        scale = factor if op == "*" else 1 / factor
    value: object = record
    for part in key.split("."):
        if isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]  # a list's item by its index
            continue
        assert isinstance(value, dict) and part in value, f"no {key!r} in the record"
        value = value[part]
    assert isinstance(value, int | float), f"{key!r} is not a number: {value!r}"
    return float(value) * scale


def _agrees(quoted: str, value: float) -> bool:
    """``quoted`` is ``value`` rounded to the quoted decimals (either way at a tie)."""
    decimals = len(quoted.split(".")[1]) if "." in quoted else 0
    return abs(float(quoted.replace(",", "")) - value) <= 0.5 * 10**-decimals + 1e-9 * max(
        1.0, abs(value)
    )


def _sections(text: str) -> list[tuple[int, int, str, tuple[str, ...]]]:
    """(start, end, heading, the headings above it and itself) of each part of ``text`` between
    two headings."""
    parts, path = [], []
    marks = [(m.start(), len(m.group(1)), m.group(2))
             for m in re.finditer(r"^(#+) (.*)$", text, re.M)]  # fmt: skip
    bounds = [(0, 0, ""), *marks, (len(text), 0, "")]
    for (start, level, title), (end, _, _) in itertools.pairwise(bounds):
        path = [(lv, t) for lv, t in path if lv < level] + [(level, title)]
        parts.append((start, end, title, tuple(t for _, t in path)))
    return parts


def _section_at(text: str, position: int) -> tuple[int, int, str, tuple[str, ...]]:
    return next(s for s in _sections(text) if s[0] <= position < s[1])


def check_quote(quote: Quote, text: str, records: dict[str, dict]) -> list[str]:
    """What is wrong with one quote in ``text`` (empty: it matches its record)."""
    found = list(_regex(quote.pattern).finditer(text))
    where = f"{quote.document}: {quote.pattern[:70]!r}"
    if len(found) != 1:
        return [f"{where}: found {len(found)} times in the text (expected once)"]
    match = found[0]
    if quote.record not in records:
        return [f"{where}: the record {quote.record} is not committed"]
    problems = []
    for i, key in enumerate(quote.keys, start=1):
        value = _value(records[quote.record], key)
        if not _agrees(match.group(i), value):
            problems.append(
                f"{where}: the text says {match.group(i)}, {quote.record} says {key} = {value:.6g}"
            )
    start, end, title, _ = _section_at(text, match.start())
    if (quote.cited_as or quote.record) not in text[start:end]:
        problems.append(
            f"{where}: section {title!r} quotes {quote.record} without naming it "
            f"({quote.cited_as or quote.record})"
        )
    return problems


def _records() -> dict[str, dict]:
    paths = [*ROOT.glob("figures/*/*/metrics.json"), *(ROOT / r for r in (SEEDS, REAL_SUBSET,
                                                                          REAL_20K))]
    return {str(p.relative_to(ROOT)): json.loads(p.read_text()) for p in paths if p.is_file()}


def _read_spans(document: str, text: str) -> list[tuple[int, int]]:
    spans = []
    for quote in QUOTES:
        if quote.document == document:
            for match in _regex(quote.pattern).finditer(text):
                spans += [match.span(i) for i in range(1, len(quote.keys) + 1)]
    return spans


NUMERIC_CELL = re.compile(r"[\d\s.,%x()<>=+\-*/]*\d[\d\s.,%x()<>=+\-*/]*(?: s| min)?")


def unread_table_numbers(document: str, text: str) -> list[str]:
    """Numbers in the results tables of ``text`` that no quote reads (a table cell that holds
    only a number, with its unit); the unrecorded sections are left out."""
    spans = _read_spans(document, text)
    skipped = UNRECORDED_SECTIONS.get(document, ())
    unread = []
    for row in re.finditer(r"^\|.*\|$", text, re.M):
        _, _, title, headings = _section_at(text, row.start())
        unrecorded = any(h.startswith(s) for h in headings for s in skipped)
        if unrecorded or re.fullmatch(r"[|\s:-]+", row.group()):
            continue
        cells = row.group().split("|")
        offset = row.start() + 1 + len(cells[1])  # the bar after the first cell
        for cell in cells[2:-1]:  # the first column names the row
            cell_start = offset + 1
            offset = cell_start + len(cell)
            if not NUMERIC_CELL.fullmatch(cell.strip()):
                continue
            starts = [cell_start + n.start() for n in re.finditer(r"\d[\d,]*(?:\.\d+)?", cell)]
            if not all(any(a <= at < b for a, b in spans) for at in starts):
                unread.append(f"{document}, section {title!r}: {row.group().strip()[:90]}")
                break
    return unread


@pytest.mark.parametrize("document", [README, BENCH])
def test_every_quoted_number_is_its_record_value_and_names_it(document):
    records, text = _records(), _text(document)
    problems = [p for q in QUOTES if q.document == document for p in check_quote(q, text, records)]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("document", [README, BENCH])
def test_no_number_in_a_results_table_goes_without_its_record(document):
    unread = unread_table_numbers(document, _text(document))
    assert not unread, "numbers no entry of QUOTES reads:\n" + "\n".join(unread)


def test_the_check_catches_a_stale_number_a_missing_citation_and_an_unread_number():
    record = {"r.json": {"a": {"b": 0.5375}, "s": 194.6}}
    quote = Quote("doc", "sure {}% and {} s", "r.json", ("a.b*100", "s"))
    assert not check_quote(quote, "# T\nsee r.json: sure 54% and 195 s\n", record)
    assert "says 59" in check_quote(quote, "# T\nr.json: sure 59% and 195 s\n", record)[0]
    assert "without naming" in check_quote(quote, "# T\nsure 54% and\n 195 s\n# U\nr.json", record)[0]  # noqa: E501
    assert "found 0 times" in check_quote(quote, "sure 54 % and 195 s", record)[0]
    assert _agrees("49.6", 49.65) and _agrees("49.7", 49.65) and not _agrees("49.5", 49.65)
    assert _agrees("-95.51", -95.50509) and _agrees("8,605", 8605.2)
    assert unread_table_numbers("nowhere.md", "## R\n| run | kNN |\n|---|---|\n| (a) | 49.6% |\n")


# -- 2. every setting named -------------------------------------------------------------------

ENV_CALL = re.compile(r"""os\.(?:environ(?:\.get|\.pop)?|getenv)\s*[\[(]\s*['"](\w+)['"]""")
INTERNAL = {"WORKBOOK_PROGRESS_LOG"}  # set by the runner for its kernels, not by users
SCANNED = ("helpers", "benchmarks", "tests")


def _environ_names(path: Path) -> set[str]:
    """Environment variables that ``path`` reads: ``os.environ[...]``, ``os.environ.get(...)``,
    ``os.getenv(...)`` with a literal or a module constant, the same written inside strings
    (code that a notebook runs), and every constant whose value is a ``WORKBOOK_*`` name."""
    tree = ast.parse(path.read_text())
    constants = {
        target.id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
        for target in node.targets if isinstance(target, ast.Name)
    }  # fmt: skip
    names = {v for v in constants.values() if re.fullmatch(r"WORKBOOK_[A-Z0-9_]+", v)}

    def is_environ(node: ast.AST) -> bool:
        return isinstance(node, ast.Attribute) and node.attr == "environ"

    for node in ast.walk(tree):
        argument = None
        if isinstance(node, ast.Subscript) and is_environ(node.value):
            argument = node.slice
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args:
            func = node.func
            if (is_environ(func.value) and func.attr in ("get", "pop")) or (
                func.attr == "getenv"
            ):
                argument = node.args[0]
        elif isinstance(node, ast.Compare) and any(is_environ(c) for c in node.comparators):
            argument = node.left
        if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
            names.add(argument.value)
        elif isinstance(argument, ast.Name) and argument.id in constants:
            names.add(constants[argument.id])
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            names.update(ENV_CALL.findall(node.value))
    return names


def environment_variables() -> dict[str, set[str]]:
    """Each variable read by a module under :data:`SCANNED`: the files that read it."""
    found: dict[str, set[str]] = {}
    paths = (p for d in SCANNED for p in sorted((ROOT / d).rglob("*.py")))
    for path in (p for p in paths if p != Path(__file__).resolve()):  # not this test's samples
        for name in _environ_names(path):
            found.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_environment_variable_read_is_named_in_the_reference():
    reference = _text(REFERENCE)
    found = environment_variables()
    assert {"WORKBOOK_PROFILE", "WORKBOOK_PROGRESS_LOG", "WORKBOOK_REPO"} <= set(found), found
    missing = {n: sorted(f) for n, f in found.items() if f"`{n}" not in reference}
    assert not missing, f"{REFERENCE} does not name these variables (read by): {missing}"
    for name in INTERNAL:
        lines = [line for line in reference.splitlines() if f"`{name}`" in line]
        assert any("internal" in line for line in lines), f"{REFERENCE}: say {name} is internal"


def test_every_variable_the_reference_names_is_read():
    named = set(re.findall(r"`(WORKBOOK_[A-Z0-9_]+)", _text(REFERENCE)))
    stale = named - set(environment_variables())
    assert not stale, f"{REFERENCE} names variables nothing reads: {sorted(stale)}"


def test_the_scan_finds_each_way_of_reading(tmp_path):
    module = tmp_path / "m.py"
    module.write_text(
        "import os\nLOG = 'WORKBOOK_LOG'\nNAME = 'X_CONST'\n"
        "a = os.environ.get('A')\nb = os.environ['B']\nc = os.getenv('C')\n"
        "d = os.environ.get(NAME)\ne = 'E' in os.environ\n"
        "f = '''REPO = os.environ.get(\"F\", \"x\")'''\n__all__ = ['WORKBOOK_NOT_A_SETTING']\n"
    )
    assert _environ_names(module) == {"WORKBOOK_LOG", "X_CONST", "A", "B", "C", "E", "F"}


# -- 3. each --help says where a default comes from ----------------------------------------------


def _helpers(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "helpers", *args], cwd=ROOT, capture_output=True, text=True,
        env={**os.environ, **(env or {})}, timeout=120,
    )  # fmt: skip


@pytest.mark.parametrize("command", ["run", "report"])
def test_each_help_gives_the_flag_then_the_environment_then_the_profile(command):
    shown = " ".join(_helpers(command, "--help").stdout.split())
    for said in (
        "default: WORKBOOK_PROFILE, else full with a CUDA GPU and demo without",
        "default: WORKBOOK_DATA, else the profile's",
        "default: WORKBOOK_FIGURES_DIR, else figures/<profile>",
    ):
        assert said in shown, f"{command} --help: {said!r} missing"


def test_figures_dir_comes_from_the_flag_then_the_environment(tmp_path):
    from_env, from_flag = tmp_path / "env", tmp_path / "flag"
    env = {"WORKBOOK_FIGURES_DIR": str(from_env)}
    assert str(from_env) in _helpers("report", "--profile", "demo", env=env).stderr
    shown = _helpers("report", "--profile", "demo", "--figures-dir", str(from_flag), env=env)
    assert str(from_flag) in shown.stderr and str(from_env) not in shown.stderr


# -- 4. every path the documents name exists ------------------------------------------------------


def test_every_path_the_documents_name_exists():
    pattern = re.compile(r"`((?:helpers|benchmarks|tests|docs|notebooks|exercises)/[\w./-]+?)"
                         r"(?:::\w+)?`")  # fmt: skip
    missing = [
        f"{document}: {path}"
        for document in (README, BENCH, REFERENCE)
        for path in pattern.findall(_text(document))
        if "<" not in path and not (ROOT / path).exists()
    ]
    assert not missing, missing

"""Sentences that :mod:`helpers.tools.report` computes itself from a run's numbers: the
verdict on the handout's target, the unit-test paragraph (whose functions ran), and notes that
the recorded findings leave out. Each says what the numbers say, in both directions.
"""

from __future__ import annotations

import re
from typing import Any

from .handout import unit_tests
from .report_doc import mean_sd
from .report_text import label

__all__ = ["TARGET", "conv_sentence", "finding", "gap_sentences", "graded_sentence",
           "latent_record_sentence", "select_finding", "subset_sentence",
           "target_sentences"]  # fmt: skip

TARGET = -102.0  # the handout's Problem 1 Q6: validation ELBO >= -102 nats


def select_finding(text: str, runs: tuple[str, ...]) -> str:
    """Of a finding written as a list, its lead (the paragraphs before the first item), the
    items that start with one of ``runs`` (``(c)``), and its later paragraphs that mention one
    of them; empty when no item or paragraph is about them."""
    lead: list[str] = []
    kept: list[str] = []
    item = False  # whether the current list item is kept
    started = False  # whether the list has begun
    for line in text.splitlines():
        if line.startswith(("- ", "* ")):
            started = True
            item = line[2:].lstrip().startswith(runs)
            if item:
                kept.append(line)
        elif line.startswith("  ") and line.strip():
            if item:
                kept.append(line)
        elif not started:
            lead.append(line)
        else:
            item = False
            if any(run in line for run in runs):
                kept.append(line)
    return "\n".join(lead + kept).strip() if kept else ""


def finding(findings: dict[str, str], spec: str) -> tuple[str, str]:
    """(key, text) of a question's finding spec ``key`` or ``key[(b)]``; text empty if absent."""
    m = re.fullmatch(r"(\w+)\[(.+)\]", spec)
    key, runs = (m.group(1), tuple(m.group(2).split(","))) if m else (spec, ())
    text = findings.get(key, "")
    return key, select_finding(text, runs) if runs and text else text


def target_sentences(metrics: dict[str, Any]) -> str:
    """Q6's verdict for the two VAEs with L = 100: meets or misses the handout's -102."""
    out = []
    for key in ("course_mlp", "course_mlp_mc_kl"):
        run = metrics.get(key)
        if not isinstance(run, dict) or not isinstance(run.get("valid_elbo"), int | float):
            continue
        v = run["valid_elbo"]
        verdict = f"meets the target by {v - TARGET:.2f}" if v >= TARGET else (
            f"misses the target by {TARGET - v:.2f}")  # fmt: skip
        epochs = f" after {run['epochs']} epochs" if "epochs" in run else ""
        out.append(f"{label(key)}: a validation ELBO of {v:.2f} nats{epochs}; it {verdict}.")
    if not out:
        return ""
    if metrics.get("data") != "real" or metrics.get("profile") != "full":
        out.append("The target is set for the handout's settings on the real data (the full "
                   "profile); this run's budget or data differ, so its verdict is not Q6's answer.")
    return " ".join(out)


def gap_sentences(metrics: dict[str, Any]) -> str:
    """Q7's numbers for the two VAEs with L = 100: log p(x) and its excess over the test ELBO."""
    out = []
    for key in ("course_mlp", "course_mlp_mc_kl"):
        run = metrics.get(key)
        if not isinstance(run, dict) or not all(
            isinstance(run.get(k), int | float) for k in ("test_log_likelihood", "test_elbo")
        ):
            continue
        ll, elbo = run["test_log_likelihood"], run["test_elbo"]
        over = f"K = {run['is_samples']}, " if "is_samples" in run else ""
        over += f"{run['test_images']} test images" if "test_images" in run else "the test images"
        if ll >= elbo:
            gap = f"{ll - elbo:.2f} nats above its test ELBO ({elbo:.2f})"
            if not out:
                gap += (": an estimate from below of the mean KL between the encoder's q(z|x) "
                        "and the true posterior")  # fmt: skip
        else:
            gap = (f"{elbo - ll:.2f} nats *below* its test ELBO ({elbo:.2f}), which the estimator "
                   "should not be in expectation: look for noise (too few images or samples) or a "
                   "bug")  # fmt: skip
        out.append(f"{label(key)} ({over}): log p(x) = {ll:.2f} nats, {gap}.")
    return " ".join(out)


def subset_sentence(metrics: dict[str, Any]) -> str:
    """Why the estimator comparison's mean differs from the table's log p(x): other images."""
    comparison, run = metrics.get("log_likelihood_estimators"), metrics.get("course_mlp")
    if not isinstance(comparison, dict) or not isinstance(run, dict):
        return ""
    values = comparison.get("importance")
    if not isinstance(values, list) or not values or "test_log_likelihood" not in run:
        return ""
    images = comparison.get("images", 50)  # the notebook's x_eval[:50]
    n = run.get("test_images")
    if n == images:
        return ""
    mean, _ = mean_sd([float(v) for v in values])
    k = comparison.get("K", "K")
    name = label("course_mlp")
    table = f"{n} test images" if n is not None else "all the test images"
    return (f"The comparison of estimators averages {images} test images, the table {table}: "
            f"its importance-sampling mean at K = {k}, {mean:.2f} nats, differs from the "
            f"table's {run['test_log_likelihood']:.2f} for the {name} because the two average "
            "different images, not because the estimators differ.")


def latent_record_sentence(record: dict[str, Any]) -> str:
    """L = 20 against L = 100 in the full-profile record (20 epochs on the real data)."""
    small, large = record.get("course_mlp_latent20"), record.get("course_mlp")
    if not isinstance(small, dict) or not isinstance(large, dict):
        return ""
    a, b = small.get("valid_elbo"), large.get("valid_elbo")
    if not isinstance(a, int | float) or not isinstance(b, int | float):
        return ""
    epochs = large.get("epochs", "its")
    head = (f"In the recorded full-profile run ({epochs} epochs on the real data) the validation "
            f"ELBO is {a:.2f} nats with L = 20 and {b:.2f} with L = 100: ")  # fmt: skip
    if a > b:
        return head + (f"L = 20 is ahead by {a - b:.2f} nats there, so within that budget the "
                       "extra 80 dimensions do not help.")  # fmt: skip
    return head + (f"L = 100 is ahead by {b - a:.2f} nats there, so the larger model catches up "
                   "with the handout's budget.")  # fmt: skip


def conv_sentence(metrics: dict[str, Any]) -> str:
    """B1.1: the ConvVAE against the MLP VAE (L = 100, analytic KL) on the same test images, in
    validation ELBO and test log p(x), and whichever is ahead."""
    conv, mlp = metrics.get("conv"), metrics.get("course_mlp")
    fields = ("valid_elbo", "test_log_likelihood")
    if not all(isinstance(r, dict) and all(isinstance(r.get(f), int | float) for f in fields)
               for r in (conv, mlp)):  # fmt: skip
        return ""
    assert isinstance(conv, dict) and isinstance(mlp, dict)
    parts = []
    for field, words in zip(fields, ("validation ELBO", "test log p(x)"), strict=True):
        diff = conv[field] - mlp[field]
        parts.append(f"{abs(diff):.2f} nats {'above' if diff >= 0 else 'below'} in {words} "
                     f"({conv[field]:.2f} against {mlp[field]:.2f})")  # fmt: skip
    epochs = {conv.get("epochs"), mlp.get("epochs")}
    same = f", both after {epochs.pop()} epochs" if len(epochs) == 1 and None not in epochs else ""
    text = (f"Against the {label('course_mlp')}, the {label('conv')} ends {parts[0]} and "
            f"{parts[1]}{same}.")  # fmt: skip
    if all(isinstance(r.get("test_elbo"), int | float) for r in (conv, mlp)):
        gap_c = conv["test_log_likelihood"] - conv["test_elbo"]
        gap_m = mlp["test_log_likelihood"] - mlp["test_elbo"]
        text += (f" Its gap log p(x) - test ELBO is {gap_c:.2f} nats, against the MLP's "
                 f"{gap_m:.2f} (Q7's answer is the MLP's).")  # fmt: skip
    return text


def graded_sentence(problem: int, metrics: dict[str, Any] | None) -> str:
    """The unit-test questions of ``problem``: which functions they grade and whose ran."""
    tests = unit_tests(problem)
    names = [f for q in tests for f in q.functions]
    listed = ", ".join(f"{q.label} " + " and ".join(f"`{f}`" for f in q.functions) for q in tests)
    span = f"{tests[0].label}–{tests[-1].label}" if len(tests) > 1 else tests[0].label
    head = (f"**Unit-test question{'s' if len(tests) > 1 else ''} {span}** (graded by the "
            f"course's tests): {listed}. ")  # fmt: skip
    graded = (metrics or {}).get("graded_functions")
    if not isinstance(graded, dict) or not all(n in graded for n in names):
        return head + ("This run did not record whose functions ran (its metrics.json has no "
                       "`graded_functions` for them): run the notebook again to record it.")
    yours = [n for n in names if graded[n] == "yours"]
    ref = [n for n in names if graded[n] != "yours"]
    if not ref:
        return head + (f"{'All ' + str(len(names)) + ' are' if len(names) > 1 else 'It is'} "
                       "yours: each passed its checks in the notebook, and every figure and number "
                       "below was computed with them.")  # fmt: skip
    if not yours:
        return head + ("The reference implementations in `helpers` ran for "
                       f"{'all of them' if len(names) > 1 else 'it'} (the workbook edition binds "
                       "them; in the exercise edition your function runs only once it passes its "
                       "checks): the figures and numbers below do not exercise your code.")
    return head + ("Yours ran where it passed its checks: " + ", ".join(f"`{n}`" for n in yours)
                   + "; the reference ran for " + ", ".join(f"`{n}`" for n in ref) + " (not "
                   "written yet, or not passing its checks). The figures and numbers below mix "
                   "the two accordingly.")  # fmt: skip

"""Problem 3's seeds script: the targets it checks and the real subsets it draws."""

from __future__ import annotations

import numpy as np
import torch

from .scripts import load_script


def _seeds():
    return load_script("simsiam_seeds")


def _row(a: float, b_std: float = 0.05, d_std: float = 0.5) -> dict:
    run = {"knn": 20.0, "std": b_std}
    return {
        "raw": 35.0,
        "runs": {
            "stop_gradient": {"knn": a, "std": 0.99},
            "no_stop_gradient": run,
            "no_pred_mlp": run,
            "fixed_random_init": {"knn": 19.0, "std": d_std},
        },
    }


def test_misses_names_each_target_missed_and_none_when_all_are_met():
    seeds = _seeds()
    assert seeds.misses(_row(a=50.0)) == []
    assert seeds.misses(_row(a=44.0)) == ["(a) +9.0 points over raw pixels (target +10)"]
    missed = seeds.misses(_row(a=50.0, b_std=0.2, d_std=0.29))
    assert "(b) std x sqrt(d) 0.20 > 0.15: not collapsed" in missed
    assert "(c) std x sqrt(d) 0.20 > 0.15: not collapsed" in missed
    assert any(m.startswith("(d) std x sqrt(d) 0.29 < 0.3") for m in missed)


def test_real_subsets_keep_a_small_split_whole_and_draw_a_fixed_random_subset_of_a_large_one():
    seeds = _seeds()
    x = torch.arange(100).reshape(100, 1)
    y = torch.arange(100) % 10
    xt, yt = x[:30], y[:30]
    (a, ay), (b, by) = seeds.real_subsets([(x, y), (xt, yt)], [200, None])
    assert torch.equal(a, x) and torch.equal(b, xt)  # no more than asked: whole, in order
    (a, ay), (b, by) = seeds.real_subsets([(x, y), (xt, yt)], [40, 10])
    g = np.random.default_rng(0)
    train, test = g.permutation(100)[:40], g.permutation(30)[:10]
    assert torch.equal(a[:, 0], torch.as_tensor(train)) and torch.equal(ay, y[train])
    assert torch.equal(b[:, 0], torch.as_tensor(test)) and torch.equal(by, yt[test])
    assert len(set(ay.tolist())) == 10  # not the first 40 of a split ordered by class
    again = seeds.real_subsets([(x, y), (xt, yt)], [40, 10])
    assert torch.equal(again[0][0], a) and torch.equal(again[1][0], b)  # the same every seed

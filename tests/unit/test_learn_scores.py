"""Held-out scores against numbers worked by hand."""

import numpy as np
import pytest

from metgrad.learn.scores import held_out_gradients, offset_statistics, spaxel_scores


def test_gradients_are_the_lad_lines_of_each_galaxy():
    r = np.array([0.5, 1.0, 1.5, 2.0, 0.5, 1.0, 1.5, 2.0])
    obs = np.r_[8.6 - 0.1 * r[:4], 8.5 - 0.05 * r[4:]]
    obs[2] += 0.3  # one outlier: LAD ignores it
    flat = np.full(8, 8.5)
    g = held_out_gradients(["a"] * 4 + ["b"] * 4, r, obs, {"flat": flat}, min_spaxels=4)
    np.testing.assert_allclose(g["grad_obs"], [-0.1, -0.05], atol=1e-12)
    np.testing.assert_allclose(g["grad_flat"], [0.0, 0.0], atol=1e-12)
    assert list(g["n_spaxels"]) == [4, 4]
    assert held_out_gradients(["a"] * 4 + ["b"] * 4, r, obs, {}, min_spaxels=5).empty


def test_galaxies_must_be_contiguous():
    with pytest.raises(ValueError, match="contiguous"):
        held_out_gradients(["a", "b", "a"], [1.0, 2.0, 3.0], [1.0, 2.0, 3.0], {}, min_spaxels=1)


def test_spaxel_scores_use_only_the_common_spaxels():
    y = np.array([8.5, 8.6, 8.7, 8.8, 9.9])
    err = np.full(5, 0.1)
    perfect, off = y.copy(), y + 0.1
    common = np.array([True, True, True, True, False])
    s = spaxel_scores(y, err, {"p": perfect, "o": off}, np.array([0, 0, 1, 1, 1]), common)
    assert list(s["n_spaxels"]) == [4, 4]
    assert s.loc["p", "oof_chi2"] == 0.0
    assert s.loc["o", "oof_chi2"] == pytest.approx(4.0)  # 4 x (0.1 / 0.1)^2
    assert s.loc["o", "oof_median_residual"] == pytest.approx(-0.1)


def test_offset_statistics_find_a_size_trend():
    size = np.linspace(-0.3, 0.3, 61)
    off = -0.2 * size + 0.01
    st = offset_statistics(off, size)
    assert st["gradient_offset_size_slope"] == pytest.approx(-0.2)
    assert st["gradient_offset_size_rho"] == pytest.approx(-1.0)
    assert st["gradient_offset_median"] == pytest.approx(0.01)


def test_scored_spaxels_are_common_unless_no_spaxel_is():
    from metgrad.learn.learners import ModelSpec
    from metgrad.learn.run import _scored_spaxels

    specs = [ModelSpec("base", "binned", ("a",)), ModelSpec("learned", "learned", ("a",))]
    final = np.array([True, True, True, False])
    nan = np.nan
    masks, common = _scored_spaxels(
        final, {"base": np.array([nan, 1.0, 1.0, 1.0]), "learned": np.ones(4)}, specs
    )
    assert common and masks["base"].tolist() == masks["learned"].tolist() == [0, 1, 1, 0]
    # the binned model predicts only a spaxel outside the final sample: nothing in common
    masks, common = _scored_spaxels(
        final, {"base": np.array([nan, nan, nan, 1.0]), "learned": np.ones(4)}, specs
    )
    assert not common
    assert masks["learned"].tolist() == [1, 1, 1, 0] and not masks["base"].any()

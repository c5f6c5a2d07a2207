"""Galaxy folds: no galaxy split, balanced sizes, strata spread over folds, seeded."""

import numpy as np
import pandas as pd
import pytest

from metgrad.learn.folds import galaxy_folds, random_spaxel_folds, size_offset, spaxel_folds


def _plane(n=300, seed=0):
    rng = np.random.default_rng(seed)
    m = rng.uniform(9.0, 11.5, n)
    r = 0.5 + 0.2 * (m - 10) + rng.normal(0, 0.15, n)
    return m, r


def test_size_offset_is_the_distance_from_the_bin_median():
    # two bins of 0.2 dex: [10.0, 10.2), [10.4, 10.6)
    m = np.array([10.01, 10.05, 10.1, 10.5, 10.55])
    r = np.array([0.1, 0.5, 0.3, 1.0, 0.6])
    np.testing.assert_allclose(size_offset(m, r), [-0.2, 0.2, 0.0, 0.2, -0.2])


def test_folds_are_balanced_and_spread_over_the_mass_size_cells():
    m, r = _plane()
    folds = galaxy_folds(m, r, n_folds=5, seed=3)
    counts = np.bincount(folds)
    assert counts.max() - counts.min() <= 1
    # every mass third and every size-offset third is split evenly between the folds
    third = pd.qcut(m, 3, labels=False)
    for t in range(3):
        per_fold = np.bincount(folds[third == t], minlength=5)
        assert per_fold.max() - per_fold.min() <= 2
    # a random assignment would often leave a fold with few extended massive galaxies
    ext = (third == 2) & (size_offset(m, r) > np.quantile(size_offset(m, r), 2 / 3))
    assert np.bincount(folds[ext], minlength=5).min() >= ext.sum() // 5 - 1


def test_folds_depend_on_the_seed_only():
    m, r = _plane()
    a = galaxy_folds(m, r, n_folds=5, seed=1)
    assert np.array_equal(a, galaxy_folds(m, r, n_folds=5, seed=1))
    assert not np.array_equal(a, galaxy_folds(m, r, n_folds=5, seed=2))


def test_spaxels_follow_their_galaxy():
    fold = pd.Series([0, 1, 2], index=["a", "b", "c"])
    np.testing.assert_array_equal(spaxel_folds(["a", "a", "c", "b"], fold), [0, 0, 2, 1])
    with pytest.raises(ValueError, match="no fold"):
        spaxel_folds(["d"], fold)


def test_random_spaxel_folds_ignore_galaxies():
    folds = random_spaxel_folds(1000, n_folds=5, seed=0)
    assert np.array_equal(np.bincount(folds), [200] * 5)


def test_bad_inputs_are_refused():
    m, r = _plane(10)
    with pytest.raises(ValueError, match="n_folds"):
        galaxy_folds(m, r, n_folds=11)
    with pytest.raises(ValueError, match="finite"):
        galaxy_folds(np.append(m, np.nan), np.append(r, 0.3))

"""Gradients and their bootstrap / noise errors against exact and asymptotic references."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from metgrad.analysis import galaxy_gradients
from metgrad.gradients import (
    STACK_MAX_SPAXELS,
    batch_gradients,
    galaxy_rng,
    model_gradient,
    observed_gradient,
    size_chunks,
)


def test_noise_free_line_is_exact_with_zero_error():
    r = np.linspace(0.5, 2.0, 60)
    oh = 8.6 - 0.05 * r
    g = observed_gradient(r, oh, rng=galaxy_rng(1, "1-1", "t"))
    assert g.slope == pytest.approx(-0.05, abs=1e-12)
    assert g.intercept == pytest.approx(8.6, abs=1e-12)
    # every resampled residual is 0 (to rounding), so every refit is the same line
    assert g.slope_err < 1e-12
    assert g.n_spaxels == 60


def test_bootstrap_error_matches_the_scatter_of_slopes():
    # LAD slope of n points with Gaussian scatter s has asymptotic standard error
    # sqrt(pi/2) * s / sqrt(Sxx) (efficiency 2/pi of least squares). With n = 300
    # uniform radii in [0.5, 2], Sxx = n * (1.5^2 / 12) = 56.25, s = 0.04:
    # SE = 1.2533 * 0.04 / 7.5 = 0.006684.
    rng = np.random.default_rng(11)
    n, s, trials = 300, 0.04, 150
    slopes, errors = [], []
    for i in range(trials):
        r = rng.uniform(0.5, 2.0, n)
        oh = 8.5 - 0.08 * r + rng.normal(0, s, n)
        g = observed_gradient(r, oh, rng=galaxy_rng(5, f"g{i}", "observed"))
        slopes.append(g.slope)
        errors.append(g.slope_err)
    expected = np.sqrt(np.pi / 2) * s / np.sqrt(n * 1.5**2 / 12)
    assert expected == pytest.approx(0.006684, rel=1e-3)
    assert np.std(slopes) == pytest.approx(expected, rel=0.15)
    assert np.median(errors) == pytest.approx(expected, rel=0.15)
    assert abs(np.mean(slopes) + 0.08) < 3 * expected / np.sqrt(trials)


def test_model_gradient_noise_error():
    # Model values exactly on a line with per-spaxel errors e = 0.03: refits of
    # line + N(0, e) have LAD slope scatter sqrt(pi/2) e / sqrt(Sxx).
    r = np.linspace(0.5, 2.0, 200)
    sxx = np.sum((r - r.mean()) ** 2)
    g = model_gradient(
        r, 8.4 - 0.1 * r, np.full(r.size, 0.03), n_noise=400, rng=galaxy_rng(2, "x", "m")
    )
    assert g.slope == pytest.approx(-0.1, abs=1e-12)
    assert g.slope_err == pytest.approx(np.sqrt(np.pi / 2) * 0.03 / np.sqrt(sxx), rel=0.12)


def test_reproducible_streams():
    r = np.linspace(0.5, 2, 50)
    oh = 8.5 + np.sin(7 * r) * 0.03
    a = observed_gradient(r, oh, rng=galaxy_rng(3, "1-2", "observed-m13"))
    b = observed_gradient(r, oh, rng=galaxy_rng(3, "1-2", "observed-m13"))
    c = observed_gradient(r, oh, rng=galaxy_rng(3, "1-2", "observed-pg16"))
    assert a == b
    assert a.slope == c.slope and a.slope_err != c.slope_err


def test_input_checks():
    with pytest.raises(ValueError, match="finite"):
        observed_gradient([0.5, 1.0, np.nan], [8.5, 8.4, 8.3])
    with pytest.raises(ValueError, match="1-D arrays of one length"):
        observed_gradient([0.5, 1.0], [8.5, 8.4, 8.3])
    with pytest.raises(ValueError, match="non-negative"):
        model_gradient([0.5, 1.0, 1.5], [8.5, 8.4, 8.3], [0.1, -0.1, 0.1])


# --- batched fits -------------------------------------------------------------------------


def varied_galaxies(rng):
    """A few dozen galaxies of varied sizes: (lengths, r_re, oh, errors), concatenated.

    Sizes from 1 to ~600; continuous radii, radii from a small pool (exact duplicates, as
    point-symmetric spaxels give), metallicities rounded to 0.01 dex (ties); plus galaxies
    the single-galaxy functions reject: one spaxel, a single radius, a NaN value, a
    negative model error.
    """
    sizes = [1, 2, 2, 3, 4, 5, 7, 9, 12, 16, 20, 23, 31, 40, 52, 64, 65, 80, 100, 130]
    sizes += [170, 220, 300, 410, 600, 2, 3, 25, 45, 90]
    r_parts, oh_parts, err_parts = [], [], []
    for k, n in enumerate(sizes):
        if k % 3 == 0:
            r = rng.choice(np.round(rng.uniform(0.5, 2.0, max(2, n // 3)), 3), n)
        else:
            r = rng.uniform(0.5, 2.0, n)
        oh = 8.6 - 0.1 * r + rng.normal(0.0, 0.05, n)
        if k % 4 == 1:
            oh = np.round(oh, 2)
        r_parts.append(r)
        oh_parts.append(oh)
        err_parts.append(np.abs(rng.normal(0.03, 0.01, n)))
    bad = {"single radius": 26, "nan": 27, "negative error": 28}
    r_parts[bad["single radius"]][:] = 1.2
    oh_parts[bad["nan"]][5] = np.nan
    err_parts[bad["negative error"]][3] = -0.01
    return (
        np.array(sizes),
        np.concatenate(r_parts),
        np.concatenate(oh_parts),
        np.concatenate(err_parts),
    )


def one_at_a_time(lengths, r, oh, err, seed, stream, n_refits):
    """The per-galaxy loop: Gradient or None (ValueError) per galaxy."""
    results, start = [], 0
    for k, n in enumerate(lengths):
        part = slice(start, start + n)
        start += n
        rng = galaxy_rng(seed, f"g{k}", stream)
        try:
            if err is None:
                results.append(observed_gradient(r[part], oh[part], n_bootstrap=n_refits, rng=rng))
            else:
                results.append(
                    model_gradient(r[part], oh[part], err[part], n_noise=n_refits, rng=rng)
                )
        except ValueError:
            results.append(None)
    return results


@pytest.mark.parametrize("kind", ["observed", "model"])
@pytest.mark.parametrize("stack_max", [None, STACK_MAX_SPAXELS])
def test_batch_equals_the_per_galaxy_functions(kind, stack_max):
    # every galaxy's numbers from the batch equal those of observed_gradient / model_gradient
    # with the same generator: slopes, intercepts and errors to 1e-12 (stack_max None stacks
    # every galaxy, padded with zero-weight points; the default fits large ones singly)
    rng = np.random.default_rng(40)
    lengths, r, oh, err = varied_galaxies(rng)
    err = None if kind == "observed" else err
    n_refits = 30
    single = one_at_a_time(lengths, r, oh, err, 9, kind, n_refits)
    rngs = [galaxy_rng(9, f"g{k}", kind) for k in range(lengths.size)]
    batch = batch_gradients(
        r, oh, err, lengths=lengths, rngs=rngs, n_refits=n_refits, stack_max_spaxels=stack_max
    )
    expected_fitted = np.array([g is not None for g in single])
    assert np.array_equal(batch.fitted, expected_fitted)
    rejected = 3 if kind == "observed" else 4  # one spaxel, one radius, NaN (, negative error)
    assert expected_fitted.sum() == lengths.size - rejected
    assert np.array_equal(batch.n_spaxels, lengths)
    done = [g for g in single if g is not None]
    for name in ("slope", "intercept", "slope_err"):
        want = np.array([getattr(g, name) for g in done])
        got = getattr(batch, name)[expected_fitted]
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12, err_msg=name)
        assert np.isnan(getattr(batch, name)[~expected_fitted]).all()
    assert (batch.slope_err[expected_fitted] > 0).sum() > 20


def test_galaxy_gradients_frame():
    # the analysis wrapper: galaxies in order of first appearance, rejected ones left out,
    # each row the per-galaxy numbers of its own plate-ifu stream
    rng = np.random.default_rng(41)
    names = ["9-3", "1-7", "5-5", "2-2"]
    sizes = [40, 1, 70, 25]
    r = np.concatenate([rng.uniform(0.5, 2.0, n) for n in sizes])
    oh = 8.5 - 0.05 * r + rng.normal(0.0, 0.04, r.size)
    plateifu = np.repeat(names, sizes)
    frame = galaxy_gradients(plateifu, r, oh, seed=3, stream="observed-m13", n_refits=20)
    assert frame.index.name == "plateifu"
    assert list(frame.index) == ["9-3", "5-5", "2-2"]  # "1-7" has one spaxel
    assert list(frame.columns) == ["slope", "slope_err", "intercept", "n_spaxels"]
    assert frame["n_spaxels"].tolist() == [40, 70, 25]
    start = 41
    g = observed_gradient(
        r[start : start + 70], oh[start : start + 70], n_bootstrap=20,
        rng=galaxy_rng(3, "5-5", "observed-m13"),
    )  # fmt: skip
    np.testing.assert_allclose(
        frame.loc["5-5", ["slope", "slope_err", "intercept"]].to_numpy(dtype=float),
        [g.slope, g.slope_err, g.intercept], rtol=0, atol=1e-12,
    )  # fmt: skip


def test_batch_input_checks():
    rngs = [galaxy_rng(1, "a", "s")]
    with pytest.raises(ValueError, match="n_refits must be at least 2"):
        batch_gradients([0.5, 1.0], [8.5, 8.4], lengths=[2], rngs=rngs, n_refits=1)
    with pytest.raises(ValueError, match="sum to the number of spaxels"):
        batch_gradients([0.5, 1.0], [8.5, 8.4], lengths=[3], rngs=rngs)
    with pytest.raises(ValueError, match="1 galaxies but 2 generators"):
        batch_gradients([0.5, 1.0], [8.5, 8.4], lengths=[2], rngs=rngs * 2)


class TestSizeChunks:
    def test_every_item_once_sizes_close_and_memory_bounded(self):
        rng = np.random.default_rng(42)
        sizes = np.clip(rng.lognormal(np.log(300), 0.8, 500).astype(int), 1, 3000)
        chunks = size_chunks(sizes, rows_per_item=10, ratio=1.25, max_elements=40_000)
        together = np.concatenate(chunks)
        assert np.array_equal(np.sort(together), np.arange(sizes.size))
        assert np.all(np.diff(sizes[together]) >= 0)  # increasing size, chunk after chunk
        for chunk in chunks:
            s = sizes[chunk]
            assert s.max() <= 1.25 * s.min()  # padding at most 20 % of each chunk
            if chunk.size > 1:
                assert chunk.size * 10 * s.max() <= 40_000
        # greedy: a chunk ends only where the next item breaks one of the two bounds
        for chunk, following in itertools.pairwise(chunks):
            s, nxt = sizes[chunk], sizes[following[0]]
            assert nxt > 1.25 * s.min() or (chunk.size + 1) * 10 * nxt > 40_000

    def test_hand_example(self):
        # sizes 5, 6, 7 (ratio 1.25 from 5 allows up to 6.25, so 7 starts a new chunk),
        # 100 and 120 (<= 125); equal sizes keep index order
        chunks = size_chunks([5, 100, 6, 7, 120, 6], ratio=1.25)
        assert [c.tolist() for c in chunks] == [[0, 2, 5], [3], [1, 4]]

    def test_large_item_alone(self):
        chunks = size_chunks([50, 60, 5000], rows_per_item=100, max_elements=10_000)
        assert [c.tolist() for c in chunks] == [[0], [1], [2]]

    def test_errors(self):
        with pytest.raises(ValueError, match="positive integers"):
            size_chunks([3, 0])
        with pytest.raises(ValueError, match="ratio must be > 1"):
            size_chunks([3, 4], ratio=1.0)

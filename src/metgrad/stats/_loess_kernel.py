"""Compiled loops of :func:`metgrad.stats.loess.loess_2d`'s robustness iterations.

A robustness iteration of a block of local fits takes the residuals of the
current fits at the ``k`` neighbours, their biweights, and the weighted sums of
the normal equations of the next fits. In numpy these are some forty passes
over the block's ``(rows, k)`` arrays; these two loops fuse them into a few
(numpy's own partition still finds the medians of the absolute residuals, in
between). The arrays are the whole, C-contiguous work arrays of
:mod:`metgrad.stats.loess`, of which the first ``n`` rows are in use, so that
every inner loop runs along one contiguous row.

Compiled on first use and cached on disk (``cache=True``), like the LAD kernel.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["biweights_and_sums", "fill_rows", "residuals"]


@njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def residuals(stack, coeff, n, n_coeff, z_layer, residual_out, magnitude_out):
    """``z - fit`` of the first ``n`` rows, and its absolute value.

    Parameters
    ----------
    stack : ndarray, shape (layers, rows, k)
        Layers of the local fits: the ``n_coeff`` design columns first, z at ``z_layer``.
    coeff : ndarray, shape (>= n, n_coeff)
        Coefficients of each row's current fit.
    n, n_coeff, z_layer : int
        Rows in use, design columns, layer of z.
    residual_out, magnitude_out : ndarray, shape (rows, k)
        Receive the residuals and their absolute values.
    """
    k = stack.shape[2]
    for r in range(n):
        for j in range(k):
            residual_out[r, j] = stack[z_layer, r, j]
        for c in range(n_coeff):
            a = coeff[r, c]
            for j in range(k):
                residual_out[r, j] -= a * stack[c, r, j]
        for j in range(k):
            magnitude_out[r, j] = abs(residual_out[r, j])


@njit(cache=True, nogil=True, fastmath={"reassoc", "contract"})
def biweights_and_sums(
    stack,
    residual,
    row_scale,
    sigma,
    sigma_factor,
    use_sigma,
    tricube,
    n,
    outlier_biweight,
    nearest,
    own_out,
    outliers_out,
    sums_out,
):
    """Biweights ``(1 - u**2)**2`` of the scaled residuals ``u``, and the next fit's sums.

    Parameters
    ----------
    stack : ndarray, shape (layers, rows, k)
        Layers of the local fits.
    residual : ndarray, shape (rows, k)
        Residuals of the current fits.
    row_scale : ndarray, shape (rows,)
        ``u = residual * row_scale[r]`` (the inverse of the row's biweight scale; ``inf``
        where that scale is zero: then an exact residual keeps full weight, any other
        gets none). Read unless ``use_sigma``.
    sigma : ndarray, shape (rows, k)
        Errors of z at the neighbours: ``u = residual / sigma * sigma_factor`` when
        ``use_sigma``.
    sigma_factor : float
        See ``sigma``.
    use_sigma : bool
        Which of the two scales to use.
    tricube : ndarray, shape (rows, k)
        Distance weights (divided by sigma**2 when errors are given).
    n : int
        Rows in use.
    outlier_biweight : float
        A neighbour is an outlier when its biweight is below this.
    nearest : ndarray of int, shape (>= n,)
        Column of each row's own (nearest) point.
    own_out : ndarray, shape (>= n,)
        Receives the biweight of that point.
    outliers_out : ndarray of bool, shape (rows, k)
        Receives ``biweight < outlier_biweight``.
    sums_out : ndarray, shape (rows, layers)
        Receives ``sum_j stack[l, r, j] * tricube[r, j] * biweight[r, j]``.
    """
    n_layers, _, k = stack.shape
    biweight = np.empty(k)
    weight = np.empty(k)
    for r in range(n):
        if use_sigma:
            for j in range(k):
                u = residual[r, j] / sigma[r, j] * sigma_factor
                biweight[j] = u * u
        else:
            factor = row_scale[r]
            for j in range(k):
                res = residual[r, j]
                u = res * factor if res != 0.0 else 0.0  # 0 * inf would be NaN
                biweight[j] = u * u
        for j in range(k):
            b = 1.0 - min(biweight[j], 1.0)
            b *= b
            biweight[j] = b
            outliers_out[r, j] = b < outlier_biweight
            weight[j] = tricube[r, j] * b
        own_out[r] = biweight[nearest[r]]
        for layer in range(n_layers):
            total = 0.0
            for j in range(k):
                total += stack[layer, r, j] * weight[j]
            sums_out[r, layer] = total


@njit(cache=True, nogil=True)
def fill_rows(x, y, z, sigz, use_sigma, qx, qy, idx, m, z_layer, recipe, zprod, stack,
              tricube, sigma_out, dist2, nearest_out):  # fmt: skip
    """Local coordinates, tricube weights, values and monomials of the first ``m`` rows.

    For row ``r`` (output point ``(qx[r], qy[r])``) and its neighbours ``idx[r]``:
    ``u, v`` (layers 1 and 2) are the offsets divided by the largest neighbour
    distance ``d_max``; ``tricube = (1 - (d / d_max)**3)**3``, divided by ``sigz**2``
    when ``use_sigma`` (``sigma_out`` then receives the neighbours' ``sigz``); layer
    ``z_layer`` holds z; each ``(layer, lower, by)`` of ``recipe`` is the product of
    two layers, and each ``(layer, factor)`` of ``zprod`` is z times a design layer.
    The element-wise operations are those of the numpy version, in the same order
    (no reassociation). ``nearest_out[r]`` receives the column of the nearest
    neighbour (the first of equal ones); ``dist2`` is scratch.

    Returns
    -------
    bool
        False if every neighbour of some row coincides with it (``d_max = 0``).
    """
    k = idx.shape[1]
    for r in range(m):
        px = qx[r]
        py = qy[r]
        dmax2 = -1.0
        best = 0
        best2 = np.inf
        for j in range(k):
            i = idx[r, j]
            du = x[i] - px
            dv = y[i] - py
            stack[1, r, j] = du
            stack[2, r, j] = dv
            d2 = du * du + dv * dv
            dist2[r, j] = d2
            if d2 < best2:  # the first of equal minima, as numpy's argmin
                best2 = d2
                best = j
            if d2 > dmax2:
                dmax2 = d2
        nearest_out[r] = best
        if not dmax2 > 0.0:
            return False
        inverse = 1.0 / np.sqrt(dmax2)
        for j in range(k):
            stack[1, r, j] *= inverse
            stack[2, r, j] *= inverse
            t = dist2[r, j] / dmax2
            c = 1.0 - np.sqrt(t) * t
            w = c * (c * c)
            if use_sigma:
                s = sigz[idx[r, j]]
                sigma_out[r, j] = s
                w /= s * s
            tricube[r, j] = w
            stack[z_layer, r, j] = z[idx[r, j]]
        for step in range(recipe.shape[0]):
            layer, lower, by = recipe[step, 0], recipe[step, 1], recipe[step, 2]
            for j in range(k):
                stack[layer, r, j] = stack[lower, r, j] * stack[by, r, j]
        for step in range(zprod.shape[0]):
            layer, factor = zprod[step, 0], zprod[step, 1]
            for j in range(k):
                stack[layer, r, j] = stack[z_layer, r, j] * stack[factor, r, j]
    return True

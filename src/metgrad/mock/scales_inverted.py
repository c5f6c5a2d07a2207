"""Calibrators that must be solved for O/H: Curti et al. (2020) and Kobulnicky & Kewley (2004).

Written for the mock's truth tables alone (not from :mod:`metgrad.physics`), by
bracketing on a dense grid and bisecting, where the pipeline uses Newton steps
(C20) or a fixed-point iteration (KK04). Functions take noise-free, dust-free line
fluxes keyed by DAP channel name and return 12+log(O/H), NaN where the formula has
no solution on the branch chosen; no validity range is applied.

C20 (MNRAS 491, 944, Table 2): ``log R = sum_i c_i x^i``, ``x = 12+log(O/H) - 8.69``,
over 7.6-8.9. The turnovers of each polynomial inside that range (zeros of dP/dx,
found here by a sign change of dP/dx on a 2001-point grid refined by bisection) split
it into monotonic pieces. Double-valued ratios (R2, R3, R23, S2, RS32: one turnover)
take the lower piece where log([NII]6584/[OII]3727,29) < -1.2 and the upper one
otherwise; the single-valued ones (N2, O3N2, O3O2, O3S2) use their longest monotonic
piece (N2 and O3N2 turn over just inside the range, at 8.87 and 7.64). Each spaxel's
``P(x) = log R`` is then bisected on its piece to 1e-15 in x.

KK04 (ApJ 617, 240, eqs. 13, 16, 17), with ``x = log R23`` (R23 = ([OII]3727,29 +
[OIII]4959 + [OIII]5007)/Hb, the DAP's tied 4960 channel plus 5008) and ``y = log O32``
(O32 = [OIII]4959,5007/[OII]3727,29): 12+log(O/H) is the Z solving
``Z = Z_branch(x, log q(Z, y))``; the upper branch where log([NII]6584/[OII]) >= -1.2.
Here ``g(Z) = Z_branch(x, log q(Z, y)) - Z`` is tabulated on 7.0-9.6 in steps of 0.05
dex, cells where the denominator of log q changes sign (a pole, not a root) are left
out, and of the cells where g falls through zero the one nearest KK04's starting value
(8.7 upper, 8.2 lower) is bisected. KK04 iterate ``Z <- Z_branch(x, log q(Z, y))``,
i.e. ``Z <- Z + g(Z)``, which is attracted only by a root where g falls (a root where
it rises repels it): where g has two roots (near the turnover of R23 the upper branch
has one near 8.0 and an unstable one near 9.4), this is the one their iteration reaches.
"""

from __future__ import annotations

import itertools

import numpy as np

from .scales_closed import log_ratio

__all__ = ["C20_PIECES", "C20_TABLE2", "INVERTED", "c20_turnovers", "kk04_solve"]

_SOLAR = 8.69
_RANGE = (7.6, 8.9)
_OII = ("OII-3727", "OII-3729")
_SII = ("SII-6718", "SII-6732")

#: Curti et al. (2020) Table 2: (c0, c1, ...) of log R(x), and whether R is double-valued.
C20_TABLE2: dict[str, tuple[tuple[float, ...], bool]] = {
    "R2": ((0.435, -1.362, -5.655, -4.851, -0.478, 0.736), True),
    "R3": ((-0.277, -3.549, -3.593, -0.981), True),
    "O3O2": ((-0.691, -2.944, -1.308), False),
    "R23": ((0.527, -1.569, -1.652, -0.421), True),
    "N2": ((-0.489, 1.513, -2.554, -5.293, -2.867), False),
    "O3N2": ((0.281, -4.765, -2.268), False),
    "S2": ((-0.442, -0.360, -6.271, -8.339, -3.559), True),
    "RS32": ((-0.054, -2.546, -1.970, 0.082, 0.222), True),
    "O3S2": ((0.191, -4.292, -2.538, 0.053, 0.332), False),
}


def _poly(coeffs, x):
    out = np.zeros_like(np.asarray(x, dtype=float))
    for c in reversed(coeffs):
        out = out * x + c
    return out


def _slope(coeffs, x):
    return _poly(tuple(i * c for i, c in enumerate(coeffs))[1:], x)


def c20_turnovers(coeffs) -> list[float]:
    """x of the zeros of dP/dx strictly inside the C20 range (grid sign change + bisection)."""
    grid = np.linspace(_RANGE[0] - _SOLAR, _RANGE[1] - _SOLAR, 2001)
    d = _slope(coeffs, grid)
    out = []
    for i in np.flatnonzero(np.sign(d[:-1]) * np.sign(d[1:]) < 0):
        lo, hi = grid[i], grid[i + 1]
        for _ in range(60):
            mid = 0.5 * (lo + hi)
            if np.sign(_slope(coeffs, mid)) == np.sign(d[i]):
                lo = mid
            else:
                hi = mid
        out.append(0.5 * (lo + hi))
    return out


def _pieces(ratio: str) -> tuple[tuple[float, float], tuple[float, float] | None]:
    coeffs, double = C20_TABLE2[ratio]
    edges = [_RANGE[0] - _SOLAR, *c20_turnovers(coeffs), _RANGE[1] - _SOLAR]
    pieces = list(itertools.pairwise(edges))
    if double:
        if len(pieces) != 2:
            raise ValueError(f"C20 {ratio}: {len(pieces) - 1} turnovers in 7.6-8.9, expected 1")
        return pieces[0], pieces[1]
    return max(pieces, key=lambda p: p[1] - p[0]), None


#: Ratio -> (lower or only piece, upper piece or None), in x = 12+log(O/H) - 8.69.
C20_PIECES = {ratio: _pieces(ratio) for ratio in C20_TABLE2}


def _bisect_polynomial(coeffs, target, piece):
    """x on ``piece`` with P(x) = target (P monotonic there); NaN where none."""
    a, b = piece
    pa, pb = _poly(coeffs, a), _poly(coeffs, b)
    rising = pb > pa
    lo = np.full(target.shape, a)
    hi = np.full(target.shape, b)
    with np.errstate(invalid="ignore"):
        inside = (target >= min(pa, pb)) & (target <= max(pa, pb))
        for _ in range(52):  # a piece is at most 1.3 dex: 1.3 / 2^52 ~ 3e-16
            mid = 0.5 * (lo + hi)
            below = (_poly(coeffs, mid) < target) == rising  # root above mid
            lo = np.where(below, mid, lo)
            hi = np.where(below, hi, mid)
    return np.where(inside, 0.5 * (lo + hi), np.nan)


def _o3hb(f):
    return log_ratio(f, "OIII-5008", "Hb-4862")


def _s2ha(f):
    return log_ratio(f, _SII, "Ha-6564")


def _n2ha(f):
    return log_ratio(f, "NII-6585", "Ha-6564")


#: C20 ratio -> log10 of it from the fluxes (C20's definitions, calibrators.md).
_C20_LOG_RATIOS = {
    "R2": lambda f: log_ratio(f, _OII, "Hb-4862"),
    "R3": _o3hb,
    "O3O2": lambda f: log_ratio(f, "OIII-5008", _OII),
    "R23": lambda f: log_ratio(f, (*_OII, "OIII-4960", "OIII-5008"), "Hb-4862"),
    "N2": _n2ha,
    "O3N2": lambda f: _o3hb(f) - _n2ha(f),
    "S2": _s2ha,
    "RS32": lambda f: np.log10(10.0 ** _o3hb(f) + 10.0 ** _s2ha(f)),
    "O3S2": lambda f: _o3hb(f) - _s2ha(f),
}


def _lower_branch(f) -> np.ndarray:
    """log([NII]6584/[OII]3727,29) < -1.2: the C20 and KK04 lower branch."""
    with np.errstate(invalid="ignore"):
        return log_ratio(f, "NII-6585", _OII) < -1.2


def _c20(ratio: str):
    def formula(f):
        target = np.asarray(_C20_LOG_RATIOS[ratio](f), dtype=float)
        coeffs = C20_TABLE2[ratio][0]
        lower, upper = C20_PIECES[ratio]
        if upper is None:
            return _bisect_polynomial(coeffs, target, lower) + _SOLAR
        on_lower = np.broadcast_to(_lower_branch(f), target.shape)
        x = np.empty(target.shape)
        x[on_lower] = _bisect_polynomial(coeffs, target[on_lower], lower)
        x[~on_lower] = _bisect_polynomial(coeffs, target[~on_lower], upper)
        return x + _SOLAR

    return formula


#: Grid step (dex) on which KK04's roots are bracketed, and the bisections of a cell
#: (0.05 / 2^45 ~ 1e-15 dex). The two roots of g are ~1.4 dex apart, the pole (denominator
#: zero) ~0.2 dex above the upper one: a cell holds one of them at most.
_KK04_STEP = 0.05
_KK04_BISECTIONS = 45


def _kk04_g(z, x, y, upper: bool):
    """KK04 Z_branch(x, log q(Z, y)) - Z on one branch, and the denominator of log q (eq. 13)."""
    y2 = y * y
    num = 32.81 - 1.153 * y2 + z * (-3.396 - 0.025 * y + 0.1444 * y2)
    den = 4.603 - 0.3119 * y - 0.163 * y2 + z * (-0.48 + 0.0271 * y + 0.02037 * y2)
    log_q = num / den
    if upper:
        poly = _poly((9.72, -0.777, -0.951, -0.072, -0.811), x)
        z_new = poly - log_q * _poly((0.0737, -0.0713, -0.141, 0.0373, -0.058), x)
    else:
        x2 = x * x
        z_new = 9.40 + 4.65 * x - 3.17 * x2 - log_q * (0.272 + 0.547 * x - 0.513 * x2)
    return z_new - z, den


def kk04_solve(x, y, upper) -> np.ndarray:
    """KK04 12+log(O/H) of log R23 ``x``, log O32 ``y`` and the branch (True: upper)."""
    x, y, upper = (np.ravel(v) for v in np.broadcast_arrays(x, y, upper))
    out = np.full(x.shape, np.nan)
    for branch in (True, False):
        on = upper == branch
        out[on] = _kk04_branch(x[on], y[on], branch)
    return out


def _kk04_branch(x, y, upper: bool) -> np.ndarray:
    """:func:`kk04_solve` for spaxels all on one branch."""
    grid = np.arange(7.0, 9.6 + 1e-9, _KK04_STEP)
    with np.errstate(all="ignore"):
        g, den = _kk04_g(grid[None, :], x[:, None], y[:, None], upper)
        falls = (g[:, :-1] > 0) & (g[:, 1:] <= 0)  # a stable root: g falls through zero
        change = falls & (np.sign(den[:, :-1]) == np.sign(den[:, 1:]))
        start = 8.7 if upper else 8.2
        distance = np.where(change, np.abs(0.5 * (grid[:-1] + grid[1:]) - start), np.inf)
        cell = np.argmin(distance, axis=1) if x.size else np.zeros(0, dtype=int)
        found = np.isfinite(distance[np.arange(x.size), cell])
        lo, hi = grid[cell], grid[cell + 1]
        for _ in range(_KK04_BISECTIONS):  # g(lo) > 0 >= g(hi) throughout
            mid = 0.5 * (lo + hi)
            above = _kk04_g(mid, x, y, upper)[0] > 0
            lo, hi = np.where(above, mid, lo), np.where(above, hi, mid)
    return np.where(found, 0.5 * (lo + hi), np.nan)


def _kk04(f):
    shape = np.shape(f["Hb-4862"])
    x = log_ratio(f, (*_OII, "OIII-4960", "OIII-5008"), "Hb-4862")
    y = log_ratio(f, ("OIII-4960", "OIII-5008"), _OII)
    upper = ~_lower_branch(f)
    return kk04_solve(x, y, upper).reshape(shape)


#: Registry name -> formula(fluxes) for the calibrators solved for O/H.
INVERTED = {"KK04_R23": _kk04, **{f"C20_{ratio}": _c20(ratio) for ratio in C20_TABLE2}}

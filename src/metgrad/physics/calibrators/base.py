"""The calibrator object: line fluxes in, 12+log(O/H), its error and its branch out.

A :class:`Calibrator` couples the metadata of one published calibration (its name,
the MaNGA DAP channels it reads, its validity range, its abundance scale and its
reference) with its formula. The formula is written once on :class:`~._dual.Dual`
arrays, so the same code gives the value and its exact first derivatives by the log
of every dust-corrected line flux; when the dust correction is done here, the chain
rule through ``ln F_corr = ln F + k / (k_Hb - k_Ha) ln((F_Ha / F_Hb) / 2.86)`` then
gives the derivatives by the observed fluxes, Halpha and Hbeta included.

Conventions
-----------
- Fluxes and errors are mappings from MaNGA DAP DR17 channel names (``"Hb-4862"``,
  ``"OIII-5008"``, ``"NII-6585"``, ``"Ha-6564"``, ``"OII-3727"``, ``"OII-3729"``,
  ``"SII-6718"``, ``"SII-6732"``, ``"OIII-4960"``, ``"NII-6549"``) to arrays of one
  common (broadcastable) shape, in one common unit: only ratios enter.
- The DAP fits tie the weak doublet members to the strong ones (DR17: OIII-4960 =
  0.35 OIII-5008, NII-6549 = 0.34 NII-6585; DR15: 0.34 and 0.327). Where a calibration
  needs the full doublet it sums the two DAP channels, which gives the doublet for
  whichever tie the file used; the weak channel's error is then not independent of
  the strong one's (the DAP reports it as the same multiple), so the summed doublet
  carries the strong line's relative error and the weak channel's error is not read.
- Branch codes (:meth:`Calibrator.branch`): :data:`BRANCH_UPPER` (1),
  :data:`BRANCH_LOWER` (-1), :data:`BRANCH_NONE` (0: a single-valued calibration, or
  a spaxel whose branch indicator cannot be measured).
"""

import dataclasses
import functools
from collections.abc import Callable, Mapping
from typing import NamedTuple

import numpy as np

from .._arrays import as_float, positive_finite, require_positive_scalar, to_output
from ..dust import LINE_WAVELENGTHS_VACUUM_AA, _balmer_k_difference, balmer_ebv, calzetti_k
from ._dual import Dual

__all__ = [
    "BRANCH_LOWER",
    "BRANCH_NONE",
    "BRANCH_UPPER",
    "SCALES",
    "TIED_LINES",
    "Calibrator",
    "ChannelErrors",
    "Estimate",
    "Evaluation",
    "Validity",
    "branch_codes",
    "corrected_fluxes",
    "deredden_lines",
]

#: Branch code of a spaxel on the upper (high-metallicity) branch.
BRANCH_UPPER = 1
#: Branch code of a spaxel on the lower (low-metallicity) branch.
BRANCH_LOWER = -1
#: Branch code of a single-valued calibration, or of an unmeasurable branch indicator.
BRANCH_NONE = 0

#: The two abundance scales: direct-method (T_e) anchored, or photoionisation models.
SCALES = ("Te", "photoionisation")

#: Weak DAP doublet members tied to a strong one in the fits (weak -> strong channel).
TIED_LINES = {"OIII-4960": "OIII-5008", "NII-6549": "NII-6585"}

_HA, _HB = "Ha-6564", "Hb-4862"


@dataclasses.dataclass(frozen=True)
class Validity:
    """
    The range over which a calibrator returns a value (NaN outside).

    Parameters
    ----------
    index : str or None
        The index the ``index_range`` applies to, as a formula (e.g.
        ``"O3N2 = log10(([OIII]5007/Hb) / ([NII]6584/Ha))"``).
    index_range : tuple of float or None
        Open interval ``(low, high)`` of the index (``-inf``/``inf`` for a one-sided
        range); None: no limit on the index.
    oh_range : tuple of float or None
        Closed interval ``(low, high)`` of 12+log(O/H) (dex); None: no limit.
    note : str
        Where the range comes from.
    """

    index: str | None = None
    index_range: tuple[float, float] | None = None
    oh_range: tuple[float, float] | None = None
    note: str = ""

    def mask(self, *, index=None, oh=None):
        """Return True where ``index`` and ``oh`` (arrays or None) are in range."""
        mask = np.array(True)  # (comparisons with NaN are False, silently)
        if self.index_range is not None:
            low, high = self.index_range
            mask = mask & (index > low) & (index < high)
        if self.oh_range is not None:
            low, high = self.oh_range
            mask = mask & (oh >= low) & (oh <= high)
        return mask


class Evaluation(NamedTuple):
    """What a calibrator's formula returns (internal to the calibrator modules)."""

    #: 12+log(O/H) with its derivatives.
    oh: Dual
    #: True where the spaxel is inside the validity range (and the formula converged).
    valid: np.ndarray
    #: Branch code per spaxel (BRANCH_NONE for single-valued calibrations).
    branch: np.ndarray | int = BRANCH_NONE


class Estimate(NamedTuple):
    """12+log(O/H), its 1-sigma error (dex) and its branch code, per spaxel."""

    oh: np.ndarray
    error: np.ndarray
    branch: np.ndarray


def deredden_lines(fluxes, *, intrinsic=2.86, r_v=3.1):
    """
    Correct DAP line fluxes for dust with E(B-V) from their own Balmer decrement.

    Parameters
    ----------
    fluxes : mapping of str to array_like
        Observed fluxes by DAP channel name; must hold ``"Ha-6564"`` and ``"Hb-4862"``.
        Every channel must be one of :data:`~metgrad.physics.LINE_WAVELENGTHS_VACUUM_AA`.
    intrinsic, r_v : float, optional
        Intrinsic Halpha/Hbeta (2.86) and R_V (3.1) of the Calzetti et al. (2000) curve.

    Returns
    -------
    corrected : dict of str to `~numpy.ndarray`
        The dust-corrected fluxes (each channel at its own vacuum wavelength), NaN
        where Halpha or Hbeta is not finite and positive.

    Raises
    ------
    ValueError
        If Halpha or Hbeta is missing, or a channel has no known wavelength.
    """
    _require_channels(fluxes, (_HA, _HB), "dust correction")
    unknown = sorted(set(fluxes) - set(LINE_WAVELENGTHS_VACUUM_AA))
    if unknown:
        raise ValueError(f"no rest wavelength for channel(s) {unknown}")
    ebv = balmer_ebv(fluxes[_HA], fluxes[_HB], intrinsic, r_v)
    with np.errstate(all="ignore"):
        return {
            name: as_float(flux)
            * 10.0 ** (0.4 * ebv * calzetti_k(LINE_WAVELENGTHS_VACUUM_AA[name], r_v))
            for name, flux in fluxes.items()
        }


def branch_codes(indicator, threshold):
    """
    Branch codes from an indicator: upper at or above ``threshold``, lower below.

    Parameters
    ----------
    indicator : array_like
        The branch indicator (e.g. log10([NII]6584/[OII]3727,29)).
    threshold : float
        The split value; a spaxel exactly at it is on the upper branch.

    Returns
    -------
    codes : `~numpy.ndarray` of int8
        BRANCH_UPPER, BRANCH_LOWER, or BRANCH_NONE where the indicator is not finite.
    """
    indicator = as_float(indicator)
    codes = np.where(indicator >= threshold, BRANCH_UPPER, BRANCH_LOWER)  # NaN: lower, silently
    return np.where(np.isfinite(indicator), codes, BRANCH_NONE).astype(np.int8)


def _require_channels(mapping, names, purpose):
    missing = [name for name in names if name not in mapping]
    if missing:
        raise ValueError(f"{purpose} needs the DAP channel(s) {missing}; got {sorted(mapping)}")


def corrected_fluxes(fluxes, names, *, dust_correct, intrinsic=2.86, r_v=3.1):
    """
    The fluxes of ``names``, dust-corrected here if asked, and where they are usable.

    Parameters
    ----------
    fluxes : mapping of str to array_like
        Fluxes by DAP channel name (observed ones if ``dust_correct``).
    names : iterable of str
        The channels wanted.
    dust_correct : bool
        Correct with E(B-V) from ``fluxes``' Halpha/Hbeta (Calzetti et al. 2000).
    intrinsic, r_v : float, optional
        Intrinsic Halpha/Hbeta and R_V of the correction.

    Returns
    -------
    values : dict of str to `~numpy.ndarray`
        The (corrected) fluxes.
    valid : `~numpy.ndarray` of bool
        True where every flux used (with Halpha and Hbeta if correcting) is finite
        and > 0.

    Notes
    -----
    ``F_corr = F * ((F_Ha / F_Hb) / intrinsic)**(k / (k_Hb - k_Ha))``, which is
    ``F * 10**(0.4 E(B-V) k)`` with E(B-V) from :func:`~metgrad.physics.balmer_ebv`.
    """
    names = list(dict.fromkeys(names))
    used = names + ([_HA, _HB] if dust_correct else [])
    values = {name: as_float(fluxes[name]) for name in dict.fromkeys(used)}
    valid = positive_finite(*values.values())
    if not dust_correct:
        return {name: values[name] for name in names}, valid
    intrinsic = require_positive_scalar(intrinsic, "intrinsic")
    with np.errstate(all="ignore"):
        log_decrement = np.log(values[_HA] / values[_HB] / intrinsic)
        corrected = {
            name: values[name] * np.exp(_dust_slope(name, r_v) * log_decrement)
            for name in names
        }
    return corrected, valid


@functools.lru_cache(maxsize=256)
def _dust_slope(name, r_v):
    """d ln F_corr / d ln(F_Ha / F_Hb) of a channel: k / (k_Hb - k_Ha) (cached)."""
    return calzetti_k(LINE_WAVELENGTHS_VACUUM_AA[name], r_v) / _balmer_k_difference(r_v)


def _seeded(values, with_grad):
    """Dual fluxes, each differentiated by the log of its own (corrected) flux."""
    return {
        name: Dual(value, {name: value} if with_grad else None) for name, value in values.items()
    }


def _observed_gradient(grad, *, dust_correct, r_v):
    """
    d oh / d ln F_j of the input fluxes, from the derivatives by the corrected ones.

    With the dust correction, ``ln F_i,corr = ln F_i + s_i ln(F_Ha / F_Hb) + const``
    (``s_i = k_i / (k_Hb - k_Ha)``), so Halpha and Hbeta gain ``+/- sum_i g_i s_i``.
    A tied weak doublet member moves with its strong line, so its derivative is
    added to the strong line's.
    """
    grad = dict(grad)
    if dust_correct and grad:
        dust_term = sum(g * _dust_slope(name, r_v) for name, g in grad.items())
        grad[_HA] = grad.get(_HA, 0.0) + dust_term
        grad[_HB] = grad.get(_HB, 0.0) - dust_term
    for weak, strong in TIED_LINES.items():
        if weak in grad:
            grad[strong] = grad.get(strong, 0.0) + grad.pop(weak)
    return grad


class ChannelErrors:
    """
    The input fluxes and errors of the propagation, each channel prepared once.

    Several calibrators evaluated on the same spaxels (:func:`~.batch.estimate_all`)
    share one instance, so that each channel's arrays and the mask of its usable
    errors (finite and >= 0) are made once, not once per calibrator.

    Parameters
    ----------
    fluxes, errors : mapping of str to array_like
        Input fluxes and their 1-sigma errors by DAP channel name.
    """

    def __init__(self, fluxes, errors):
        self.fluxes, self.errors = fluxes, errors
        self._prepared = {}

    def __call__(self, name):
        """Return ``(flux, error, usable)`` of a channel as float arrays and a mask."""
        if name not in self._prepared:
            error = as_float(self.errors[name])
            usable = np.isfinite(error) & (error >= 0)
            self._prepared[name] = (as_float(self.fluxes[name]), error, usable)
        return self._prepared[name]


def _propagated_sigma(grad, channels, valid):
    """sqrt(sum_j (d oh / d ln F_j * sigma_j / F_j)^2) over the independent channels."""
    variance = 0.0
    with np.errstate(all="ignore"):
        for name, derivative in grad.items():
            flux, error, usable = channels(name)
            valid = valid & usable
            variance = variance + (derivative * error / flux) ** 2
        sigma = np.sqrt(variance)
    return sigma, valid & np.isfinite(sigma)


@dataclasses.dataclass(frozen=True)
class Calibrator:
    """
    One strong-line calibration of 12+log(O/H), registered by name.

    Attributes
    ----------
    name : str
        Registry name (e.g. ``"M13_O3N2"``).
    lines : tuple of str
        The MaNGA DAP channels it reads (including those of its branch indicator).
    scale : {"Te", "photoionisation"}
        Abundance scale: direct-method anchored or photoionisation-model based.
    reference : str
        Bibliographic reference of the calibration.
    validity : Validity
        The range outside which :meth:`oh` returns NaN.
    branched : bool
        True if the calibration is double-valued and :meth:`branch` assigns branches.
    description : str
        The formula and the conventions followed, in words.
    formula : callable
        ``formula(lines) -> Evaluation`` on :class:`~._dual.Dual` fluxes (internal).
    """

    name: str
    lines: tuple[str, ...]
    scale: str
    reference: str
    validity: Validity
    branched: bool
    description: str
    formula: Callable[[Mapping[str, Dual]], Evaluation] = dataclasses.field(repr=False)

    def __post_init__(self):
        if self.scale not in SCALES:
            raise ValueError(f"{self.name}: scale must be one of {SCALES}, got {self.scale!r}")
        unknown = sorted(set(self.lines) - set(LINE_WAVELENGTHS_VACUUM_AA))
        if unknown:
            raise ValueError(f"{self.name}: unknown DAP channel(s) {unknown}")

    def _evaluate(self, fluxes, *, dust_correct, with_grad, intrinsic, r_v):
        _require_channels(fluxes, self.lines, self.name)
        if dust_correct:
            _require_channels(fluxes, (_HA, _HB), f"{self.name} with dust_correct=True")
        values, valid = corrected_fluxes(
            fluxes, self.lines, dust_correct=dust_correct, intrinsic=intrinsic, r_v=r_v
        )
        return self.evaluate_corrected(values, valid, with_grad=with_grad)

    def evaluate_corrected(self, values, valid, *, with_grad):
        """
        Evaluate on dust-corrected flux arrays (the shared step of all the methods).

        Parameters
        ----------
        values : mapping of str to `~numpy.ndarray`
            Dust-corrected fluxes of (at least) :attr:`lines`.
        valid : `~numpy.ndarray` of bool
            Where those fluxes are usable (finite, > 0).
        with_grad : bool
            Also compute d oh / d ln F_corr for every channel.

        Returns
        -------
        oh : Dual
            12+log(O/H) (not masked) with, if asked, its derivatives.
        valid : `~numpy.ndarray` of bool
            Where oh is finite and inside the validity range.
        branch : `~numpy.ndarray` of int8
            Branch codes.
        """
        duals = _seeded({name: values[name] for name in self.lines}, with_grad)
        with np.errstate(all="ignore"):
            result = self.formula(duals)
        valid = valid & result.valid & np.isfinite(result.oh.value)
        branch = np.broadcast_to(result.branch, np.shape(valid)).astype(np.int8)
        return result.oh, valid, branch

    def oh(self, fluxes, *, dust_correct=False, intrinsic=2.86, r_v=3.1):
        """
        12+log(O/H) per spaxel.

        Parameters
        ----------
        fluxes : mapping of str to array_like
            Line fluxes by DAP channel name (at least :attr:`lines`): dust-corrected
            ones (default), or observed ones with ``dust_correct=True``.
        dust_correct : bool, optional
            Correct the fluxes here with E(B-V) from their Halpha/Hbeta (then
            ``"Ha-6564"`` and ``"Hb-4862"`` are needed even if the calibration does
            not use them).
        intrinsic, r_v : float, optional
            Intrinsic Halpha/Hbeta and R_V of that correction.

        Returns
        -------
        oh : `numpy.float64` or `~numpy.ndarray`
            12 + log10(O/H) in dex; NaN where a flux used is non-finite or <= 0, or
            outside :attr:`validity`, or where an inverted calibration has no root in
            range.

        Raises
        ------
        ValueError
            If a channel of :attr:`lines` (or Halpha/Hbeta for the correction) is missing.
        """
        oh, valid, _ = self._evaluate(
            fluxes, dust_correct=dust_correct, with_grad=False, intrinsic=intrinsic, r_v=r_v
        )
        return to_output(oh.value, valid)

    def branch(self, fluxes, *, dust_correct=False, intrinsic=2.86, r_v=3.1):
        """
        Branch code per spaxel (arguments as for :meth:`oh`).

        Returns
        -------
        branch : `numpy.int8` or `~numpy.ndarray` of int8
            :data:`BRANCH_UPPER` (1) or :data:`BRANCH_LOWER` (-1) where the
            calibration is double-valued and its branch indicator is measured (also
            where the value itself is out of range), :data:`BRANCH_NONE` (0)
            otherwise and for single-valued calibrations.
        """
        _, _, branch = self._evaluate(
            fluxes, dust_correct=dust_correct, with_grad=False, intrinsic=intrinsic, r_v=r_v
        )
        return branch[()]

    def estimate(self, fluxes, errors, *, dust_correct, intrinsic=2.86, r_v=3.1):
        """
        12+log(O/H), its propagated 1-sigma error and its branch, in one evaluation.

        Parameters
        ----------
        fluxes, errors : mapping of str to array_like
            Fluxes and their independent 1-sigma errors by DAP channel name (for DAP
            maps ``error = 1 / sqrt(ivar)``). With ``dust_correct`` True they are the
            observed ones (and must include Halpha and Hbeta); with False, the
            dust-corrected ones (errors corrected by the same factor as their fluxes).
            The errors of tied weak doublet members (:data:`TIED_LINES`) are not read.
        dust_correct : bool
            True: correct here with E(B-V) from Halpha/Hbeta, and propagate the
            Halpha and Hbeta errors through E(B-V) as well. False: E(B-V) is held
            fixed (relative errors are unchanged by the correction).
        intrinsic, r_v : float, optional
            Intrinsic Halpha/Hbeta (2.86) and R_V (3.1) of the correction.

        Returns
        -------
        Estimate
            ``oh`` (dex, as :meth:`oh`), ``error`` (dex; NaN where ``oh`` is NaN or an
            error is non-finite or negative) and ``branch`` (as :meth:`branch`).

        Notes
        -----
        First-order propagation with exact derivatives:
        ``sigma^2 = sum_j (d oh / d ln F_j)^2 (sigma_j / F_j)^2`` over the independent
        channels j, where ``oh`` is composed with the dust correction
        ``ln F_i,corr = ln F_i + k_i / (k_Hb - k_Ha) * ln((F_Ha / F_Hb) / intrinsic)``.
        The intrinsic scatter of the calibration is not included.
        """
        oh, valid, branch = self._evaluate(
            fluxes, dust_correct=dust_correct, with_grad=True, intrinsic=intrinsic, r_v=r_v
        )
        return self.propagate(
            oh, valid, branch, fluxes, errors, dust_correct=dust_correct, r_v=r_v
        )

    def propagate(
        self, oh, valid, branch, fluxes, errors, *, dust_correct, r_v=3.1, channels=None
    ):
        """
        The :class:`Estimate` from an :meth:`evaluate_corrected` result and the inputs.

        Parameters
        ----------
        oh, valid, branch
            As returned by :meth:`evaluate_corrected` with ``with_grad=True``.
        fluxes, errors : mapping of str to array_like
            The input fluxes and errors (observed ones if ``dust_correct``).
        dust_correct : bool
            Whether the values were corrected from ``fluxes`` with their Balmer decrement.
        r_v : float, optional
            R_V of that correction.
        channels : ChannelErrors, optional
            ``fluxes`` and ``errors`` already prepared (shared between calibrators).

        Returns
        -------
        Estimate
        """
        grad = _observed_gradient(oh.grad, dust_correct=dust_correct, r_v=r_v)
        _require_channels(errors, sorted(grad), f"{self.name} errors")
        if channels is None:
            channels = ChannelErrors(fluxes, errors)
        sigma, error_valid = _propagated_sigma(grad, channels, valid)
        return Estimate(to_output(oh.value, valid), to_output(sigma, error_valid), branch[()])

    def oh_error(self, fluxes, errors, *, dust_correct=True, intrinsic=2.86, r_v=3.1):
        """
        1-sigma error (dex) of 12+log(O/H): :meth:`estimate`'s ``error``.

        Note the default: ``dust_correct=True`` (observed fluxes and errors in, with
        Halpha and Hbeta errors propagated through E(B-V)).
        """
        return self.estimate(
            fluxes, errors, dust_correct=dust_correct, intrinsic=intrinsic, r_v=r_v
        ).error

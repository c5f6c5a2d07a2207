"""Dust attenuation: the Calzetti et al. (2000) curve and the Balmer-decrement correction.

The pipeline works with the vacuum rest wavelengths of the MaNGA DAP DR17 line list
(:data:`LINE_WAVELENGTHS_VACUUM_AA`). Fluxes are corrected as
``F_corr = F_obs * 10**(0.4 * E(B-V) * k(lambda))`` with ``E(B-V)`` from the Balmer
decrement (intrinsic Halpha/Hbeta = 2.86, case B, T_e = 10^4 K, n_e = 100 cm^-3) and
``R_V = 3.1`` (Boardman et al. 2022, section 2.1).
"""

import functools

import numpy as np

from ._arrays import as_float, finite, positive_finite, require_positive_scalar, to_output

__all__ = [
    "BALMER_DECREMENT_CASE_B",
    "CALZETTI_RANGE_AA",
    "LINE_WAVELENGTHS_VACUUM_AA",
    "OII_DOUBLET_WAVELENGTH_VACUUM_AA",
    "av_from_ebv",
    "balmer_ebv",
    "calzetti_k",
    "deredden",
]

#: Vacuum rest wavelengths (Angstrom) of the MaNGA DAP DR17 emission-line channels used
#: by metgrad, keyed by the DAP channel names (``EMLINE_GFLUX`` header values, stripped).
LINE_WAVELENGTHS_VACUUM_AA = {
    "OII-3727": 3727.092,
    "OII-3729": 3729.875,
    "Hb-4862": 4862.683,
    "OIII-4960": 4960.295,
    "OIII-5008": 5008.240,
    "NII-6549": 6549.86,
    "Ha-6564": 6564.608,
    "NII-6585": 6585.27,
    "SII-6718": 6718.295,
    "SII-6732": 6732.674,
}

#: Wavelength (Angstrom, vacuum) used for the summed [OII] 3727+3729 doublet: the
#: unweighted mean of the two DAP components, (3727.092 + 3729.875) / 2 = 3728.48.
#: A flux-weighted mean differs from it by less than 0.7 A over the physical range
#: (about 0.35-1.5) of the 3729/3727 ratio, which changes k(lambda) by less than 0.001
#: (k falls by 0.0013 per Angstrom there), far below the flux errors.
OII_DOUBLET_WAVELENGTH_VACUUM_AA = 3728.48

#: Intrinsic Halpha/Hbeta flux ratio for case B recombination (T_e = 10^4 K,
#: n_e = 100 cm^-3), as used by Boardman et al. (2022).
BALMER_DECREMENT_CASE_B = 2.86

#: Wavelength range (Angstrom) over which the Calzetti et al. (2000) curve is defined.
CALZETTI_RANGE_AA = (1200.0, 22000.0)

# Calzetti et al. (2000), eq. 4: k(lambda) = 2.659 * P(1/lambda[um]) + R_V.
_CALZETTI_SCALE = 2.659
_CALZETTI_BLUE = (-2.156, 1.509, -0.198, 0.011)  # coefficients of 1, x, x^2, x^3
_CALZETTI_RED = (-1.857, 1.040)  # coefficients of 1, x
_CALZETTI_BREAK_UM = 0.63


def calzetti_k(wave_aa, r_v=3.1):
    """
    Calzetti et al. (2000) attenuation curve k(lambda).

    Parameters
    ----------
    wave_aa : float or array_like
        Rest-frame wavelength in Angstrom.
    r_v : float or array_like, optional
        Total-to-selective attenuation ratio R_V = A_V / E(B-V). Calzetti et al. (2000)
        give 4.05; Boardman et al. (2022) use 3.1 (the default).

    Returns
    -------
    k : `numpy.float64` or `~numpy.ndarray`
        k(lambda) = A(lambda) / E(B-V), dimensionless, broadcast over the inputs.
        NaN outside 1200-22000 Angstrom (where the curve is not defined) and for
        non-finite inputs.

    Notes
    -----
    With x = 1 / lambda in micron (Calzetti et al. 2000, eq. 4)::

        k = 2.659 (-2.156 + 1.509 x - 0.198 x^2 + 0.011 x^3) + R_V   0.12 <= lambda < 0.63 um
        k = 2.659 (-1.857 + 1.040 x) + R_V                           0.63 <= lambda <= 2.20 um

    R_V only shifts the curve, so differences k(lambda1) - k(lambda2) do not depend on
    it. The two branches do not join exactly at 0.63 micron (the jump is 0.025).

    References
    ----------
    .. [1] Calzetti, D., et al. 2000, ApJ, 533, 682

    Examples
    --------
    >>> from metgrad.physics import calzetti_k
    >>> print(f"{calzetti_k(5000.0):.6f}")
    3.520122
    """
    if np.ndim(wave_aa) == 0 and np.ndim(r_v) == 0:  # a line's k, asked for per galaxy
        return _calzetti_k_scalar(float(wave_aa), float(r_v))
    return _calzetti_k_array(wave_aa, r_v)


@functools.lru_cache(maxsize=256)
def _calzetti_k_scalar(wave_aa: float, r_v: float) -> np.float64:
    return _calzetti_k_array(wave_aa, r_v)


def _calzetti_k_array(wave_aa, r_v):
    wave = as_float(wave_aa)
    r_v = as_float(r_v)
    valid = finite(wave, r_v)
    with np.errstate(all="ignore"):
        valid &= (wave >= CALZETTI_RANGE_AA[0]) & (wave <= CALZETTI_RANGE_AA[1])
        x = 1.0e4 / wave
        blue = np.polynomial.polynomial.polyval(x, _CALZETTI_BLUE)
        red = np.polynomial.polynomial.polyval(x, _CALZETTI_RED)
        shape = np.where(wave * 1.0e-4 < _CALZETTI_BREAK_UM, blue, red)
        k = _CALZETTI_SCALE * shape + r_v
    return to_output(k, valid)


def _balmer_k_difference(r_v):
    """Return k(Hbeta) - k(Halpha) for the DAP vacuum wavelengths (independent of R_V)."""
    return calzetti_k(LINE_WAVELENGTHS_VACUUM_AA["Hb-4862"], r_v) - calzetti_k(
        LINE_WAVELENGTHS_VACUUM_AA["Ha-6564"], r_v
    )


def balmer_ebv(ha, hb, intrinsic=2.86, r_v=3.1):
    """
    Colour excess E(B-V) from the Balmer decrement with the Calzetti et al. (2000) curve.

    Parameters
    ----------
    ha, hb : float or array_like
        Observed Halpha 6564 and Hbeta 4862 fluxes, in any common unit.
    intrinsic : float, optional
        Intrinsic Halpha/Hbeta ratio (2.86: case B, T_e = 10^4 K, n_e = 100 cm^-3).
    r_v : float, optional
        R_V of the curve. It cancels in k(Hbeta) - k(Halpha), so E(B-V) does not depend
        on it; it is accepted so callers can pass one R_V everywhere.

    Returns
    -------
    ebv : `numpy.float64` or `~numpy.ndarray`
        E(B-V) in magnitudes. NaN where a flux is non-finite or <= 0.

    Raises
    ------
    ValueError
        If ``intrinsic`` is not a finite positive scalar.

    Notes
    -----
    ``E(B-V) = 2.5 / (k(Hbeta) - k(Halpha)) * log10((F_Halpha / F_Hbeta) / intrinsic)``
    with k from :func:`calzetti_k` at the DAP vacuum wavelengths 4862.683 and
    6564.608 Angstrom, where k(Hbeta) - k(Halpha) = 1.27174 (1.27185 with the air
    wavelengths 4861.33 and 6562.80).

    Negative values (Halpha/Hbeta < ``intrinsic``) are returned as they are, not
    clipped to zero: the spaxel selection of Boardman et al. (2022) removes spaxels
    with an observed Halpha/Hbeta < 2.86, so a negative E(B-V) never reaches a
    calibrator there, and clipping would bias any other use.

    References
    ----------
    .. [1] Calzetti, D., et al. 2000, ApJ, 533, 682
    .. [2] Boardman, N., et al. 2022, MNRAS, section 2.1

    Examples
    --------
    >>> from metgrad.physics import balmer_ebv
    >>> print(f"{balmer_ebv(2.86, 1.0):.1f}")
    0.0
    """
    intrinsic = require_positive_scalar(intrinsic, "intrinsic")
    ha = as_float(ha)
    hb = as_float(hb)
    valid = positive_finite(ha, hb)
    with np.errstate(all="ignore"):
        ebv = 2.5 / _balmer_k_difference(r_v) * np.log10(ha / hb / intrinsic)
    return to_output(ebv, valid)


def av_from_ebv(ebv, r_v=3.1):
    """
    V-band attenuation A_V = R_V * E(B-V).

    Parameters
    ----------
    ebv : float or array_like
        Colour excess E(B-V) in magnitudes.
    r_v : float, optional
        Total-to-selective attenuation ratio (3.1 as in Boardman et al. 2022).

    Returns
    -------
    av : `numpy.float64` or `~numpy.ndarray`
        A_V in magnitudes; NaN where ``ebv`` is not finite.

    Notes
    -----
    With :func:`balmer_ebv` and R_V = 3.1, ``A_V = 6.0940 log10((Ha/Hb)/2.86)``
    (6.0935 with air wavelengths).

    Examples
    --------
    >>> from metgrad.physics import av_from_ebv
    >>> print(f"{av_from_ebv(0.2):.2f}")
    0.62
    """
    ebv = as_float(ebv)
    r_v = as_float(r_v)
    with np.errstate(all="ignore"):
        av = r_v * ebv
    return to_output(av, finite(ebv, r_v))


def deredden(flux, wave_aa, ebv, r_v=3.1):
    """
    Correct a flux for dust attenuation with the Calzetti et al. (2000) curve.

    Parameters
    ----------
    flux : float or array_like
        Observed flux (any unit) or its 1-sigma error: the correction is a pure
        multiplicative factor, so errors are corrected with the same call.
    wave_aa : float or array_like
        Rest-frame wavelength of the line in Angstrom (see
        :data:`LINE_WAVELENGTHS_VACUUM_AA`).
    ebv : float or array_like
        Colour excess E(B-V) in magnitudes, e.g. from :func:`balmer_ebv`.
    r_v : float, optional
        R_V of the curve (3.1 as in Boardman et al. 2022).

    Returns
    -------
    flux_corr : `numpy.float64` or `~numpy.ndarray`
        ``flux * 10**(0.4 * ebv * calzetti_k(wave_aa, r_v))``, in the unit of ``flux``.
        NaN where any input is non-finite or the wavelength is outside the curve.

    Notes
    -----
    Being linear, the correction keeps the sign of the flux: zero and negative
    fluxes (possible for noisy lines) stay zero and negative instead of becoming
    NaN, so that the same call corrects errors and S/N cuts can be made after it.
    The functions that take logarithms (calibrators, E(B-V), BPT, SFR) turn
    non-positive fluxes into NaN themselves.

    Examples
    --------
    >>> from metgrad.physics import deredden
    >>> print(f"{deredden(1.0, 5000.0, 0.0):.1f}")
    1.0
    """
    flux = as_float(flux)
    ebv = as_float(ebv)
    k = calzetti_k(wave_aa, r_v)
    valid = finite(flux, ebv, k)
    with np.errstate(all="ignore"):
        corrected = flux * 10.0 ** (0.4 * ebv * k)
    return to_output(corrected, valid & np.isfinite(corrected))

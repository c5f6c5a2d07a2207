"""First-order error propagation shared by the two original calibrator functions.

:func:`~metgrad.physics.oh_o3n2_m13_error` and :func:`~metgrad.physics.oh_r_pg16_error`
propagate with explicit gradients (the registry's calibrators use exact forward-mode
derivatives instead, see :mod:`._dual`). The summed [OII] doublet is corrected at
:data:`~metgrad.physics.OII_DOUBLET_WAVELENGTH_VACUUM_AA`.
"""

import numpy as np

from .._arrays import as_float, finite, positive_finite, to_output
from ..dust import (
    LINE_WAVELENGTHS_VACUUM_AA,
    OII_DOUBLET_WAVELENGTH_VACUUM_AA,
    _balmer_k_difference,
    balmer_ebv,
    calzetti_k,
    deredden,
)

__all__ = ["OII_DOUBLET", "corrected", "propagate"]

_LN10 = np.log(10.0)
#: Key of the summed [OII] 3727+3729 doublet in the gradient mappings.
OII_DOUBLET = "OII-doublet"
_WAVELENGTHS_AA = {**LINE_WAVELENGTHS_VACUUM_AA, OII_DOUBLET: OII_DOUBLET_WAVELENGTH_VACUUM_AA}


def propagate(gradients, fluxes, errors, *, dust_correct, r_v):
    """
    First-order error (dex) of y(log10 F_i) from independent flux errors.

    ``gradients`` holds dy/dlog10(F_i) with respect to the dust-corrected fluxes. With
    ``dust_correct`` the fluxes are observed and the correction uses E(B-V) from
    Halpha/Hbeta: log10 F_i,corr = log10 F_i + k_i / (k_Hb - k_Ha) * (log10 F_Ha -
    log10 F_Hb - log10 2.86), so Halpha and Hbeta collect the extra term
    +/- sum_i (dy/dlog10 F_i,corr) k_i / (k_Hb - k_Ha).
    """
    total = dict(gradients)
    if dust_correct:
        dust_term = sum(
            g * calzetti_k(_WAVELENGTHS_AA[name], r_v) for name, g in gradients.items()
        ) / _balmer_k_difference(r_v)
        total["Ha-6564"] = total.get("Ha-6564", 0.0) + dust_term
        total["Hb-4862"] = total["Hb-4862"] - dust_term  # both callers' formulas read Hbeta
    names = list(fluxes)
    flux_values = [as_float(fluxes[name]) for name in names]
    error_values = [as_float(errors[name]) for name in names]
    valid = positive_finite(*flux_values) & finite(*error_values)
    with np.errstate(all="ignore"):
        for error in error_values:
            valid &= error >= 0
        variance = sum(
            (total[name] * err / flux) ** 2  # every flux passed has a gradient
            for name, flux, err in zip(names, flux_values, error_values, strict=True)
        )
        sigma = np.sqrt(variance) / _LN10
    return to_output(sigma, valid & np.isfinite(sigma))


def corrected(fluxes, ha, hb, intrinsic, r_v):
    """Deredden each flux of ``fluxes`` with E(B-V) from the Balmer decrement."""
    ebv = balmer_ebv(ha, hb, intrinsic, r_v)
    return {name: deredden(f, _WAVELENGTHS_AA[name], ebv, r_v) for name, f in fluxes.items()}

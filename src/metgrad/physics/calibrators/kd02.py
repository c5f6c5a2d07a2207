"""Kewley & Dopita (2002) [NII]/[OII] calibration (photoionisation models).

``12+log(O/H) = log10(1.54020 + 1.26602 R + 0.167977 R^2) + 8.93`` with
``R = log10([NII]6584 / [OII]3727+3729)`` (the strong [NII] line, both
[OII] channels summed). It is independent of the ionisation parameter but, the lines
being far apart, strongly dependent on the reddening correction. KD02 recommend it
for 12+log(O/H) >= 8.6 (Z >= 0.5 Z_sun with their solar 8.93); the top of their
model grid is 3 Z_sun (9.41). That closed range is the validity used here.
"""

from .base import Calibrator, Evaluation, Validity
from .registry import register

__all__ = ["KD02_N2O2"]

_VALIDITY = Validity(
    index="R = log10([NII]6584/[OII]3727,29)",
    oh_range=(8.6, 9.41),
    note="KD02: [NII]/[OII] for Z >= 0.5 Z_sun (8.6), model grid up to 3 Z_sun (9.41)",
)
# Coefficients of R^0..R^2 inside the logarithm (KD02).
_COEFFS = (1.54020, 1.26602, 0.167977)


def _kd02(lines):
    r = (lines["NII-6585"] / (lines["OII-3727"] + lines["OII-3729"])).log10()
    a0, a1, a2 = _COEFFS
    oh = (a0 + a1 * r + a2 * r**2).log10() + 8.93
    return Evaluation(oh, _VALIDITY.mask(oh=oh.value))


#: Kewley & Dopita (2002) [NII]/[OII].
KD02_N2O2 = register(
    Calibrator(
        name="KD02_N2O2",
        lines=("NII-6585", "OII-3727", "OII-3729"),
        scale="photoionisation",
        reference="Kewley, L. J., & Dopita, M. A. 2002, ApJS, 142, 35",
        validity=_VALIDITY,
        branched=False,
        description="log10(1.54020 + 1.26602 R + 0.167977 R^2) + 8.93, R = log([NII]/[OII])",
        formula=_kd02,
    )
)

"""Dopita et al. (2016) N2S2-Halpha calibration (photoionisation models).

``y = log10([NII]6584 / [SII]6717+6731) + 0.264 log10([NII]6584 / Halpha)`` and
``12+log(O/H) = 8.77 + y + 0.45 (y + 0.3)^5``. Only the strong [NII]
line enters (not the 6548+6584 doublet); both [SII] lines are summed. The ratio is
almost insensitive to reddening (lines close in wavelength).

Range used: 7.6 <= 12+log(O/H) <= 9.05. D16 note the relation is nearly linear up
to ~9.05, where the quintic term takes over and the diagnostic saturates; below 7.6
their model grid and the local H II regions they compare with run out.
"""

from .base import Calibrator, Evaluation, Validity
from .registry import register

__all__ = ["D16_N2S2"]

_VALIDITY = Validity(
    index="y = log10([NII]6584/[SII]6717+6731) + 0.264 log10([NII]6584/Ha)",
    oh_range=(7.6, 9.05),
    note="nearly linear (well-behaved) part of the D16 relation; range used, not a D16 limit",
)


def _d16(lines):
    nii = lines["NII-6585"]
    y = (nii / (lines["SII-6718"] + lines["SII-6732"])).log10() + 0.264 * (
        nii / lines["Ha-6564"]
    ).log10()
    oh = 8.77 + y + 0.45 * (y + 0.3) ** 5
    return Evaluation(oh, _VALIDITY.mask(oh=oh.value))


#: Dopita et al. (2016) N2S2-Halpha.
D16_N2S2 = register(
    Calibrator(
        name="D16_N2S2",
        lines=("NII-6585", "SII-6718", "SII-6732", "Ha-6564"),
        scale="photoionisation",
        reference="Dopita, M. A., et al. 2016, Ap&SS, 361, 61",
        validity=_VALIDITY,
        branched=False,
        description="8.77 + y + 0.45 (y + 0.3)^5, y = log(N2/S2) + 0.264 log(N2/Ha)",
        formula=_d16,
    )
)

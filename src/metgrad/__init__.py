"""metgrad: gas-phase metallicity gradients from integral-field surveys.

Implements, as reusable software, the method of Boardman et al. (2022, MNRAS),
"How well do local relations predict gas-phase metallicity gradients? Results
from SDSS-IV MaNGA", and extends it.

The pure, exact core lives in :mod:`metgrad.physics` (dust, star formation,
IMF factors, BPT classification, strong-line calibrators) and
:mod:`metgrad.stats` (IDL ``ROBUST_SIGMA``, exact least-absolute-deviation
lines, 2-D LOESS, binned statistics).
"""

__version__ = "0.1.0"

__all__ = ["__version__"]

"""Exact, vectorised statistics used throughout metgrad.

- :func:`robust_sigma`: IDL astrolib ``ROBUST_SIGMA``, exactly.
- :func:`lad_line`: exact least-absolute-deviation straight line, batched over resamples.
- :func:`loess_2d`: 2-D robust locally weighted regression (Cleveland & Devlin 1988).
- binned statistics over 1-D and 2-D regular grids.
"""

from .binned import BinnedStatistics, bin_index, binned_statistics_1d, binned_statistics_2d
from .lad import LADLine, lad_line
from .loess import loess_2d
from .robust import robust_sigma

__all__ = [
    "BinnedStatistics",
    "LADLine",
    "bin_index",
    "binned_statistics_1d",
    "binned_statistics_2d",
    "lad_line",
    "loess_2d",
    "robust_sigma",
]

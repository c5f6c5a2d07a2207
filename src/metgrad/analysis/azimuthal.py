"""§2.3's check: gradients of azimuthally averaged profiles beside the spaxel gradients.

The paper fits each gradient to individual spaxels, which the MaNGA PSF does
not make independent, and says the gradients are similar "if we azimuthally
average metallicities over radial bins before calculating gradients". This
module does that: the mean 12+log(O/H) (and mean R/R_e) of a galaxy's spaxels
in annuli of ``width`` R_e, then the exact LAD line through the annuli.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..stats.lad import lad_line

__all__ = ["azimuthal_gradients"]


def azimuthal_gradients(
    plateifu, r_re, oh, *, width: float = 0.1, r_min: float = 0.5, min_annuli: int = 3
) -> pd.Series:
    """Gradient of each galaxy's azimuthally averaged profile (dex/R_e).

    Parameters
    ----------
    plateifu, r_re, oh : array_like, shape (n_spaxels,)
        Galaxy, radius (R/R_e) and 12+log(O/H) (dex) of the spaxels.
    width : float, optional
        Annulus width in R/R_e (the paper's check: 0.1).
    r_min : float, optional
        Inner edge of the first annulus (R/R_e); annuli are
        ``[r_min + k width, r_min + (k + 1) width)``.
    min_annuli : int, optional
        Fewest occupied annuli for a gradient (NaN below).

    Returns
    -------
    pandas.Series
        Indexed by plate-ifu (sorted): the LAD slope through the annuli's
        (mean R/R_e, mean 12+log(O/H)), dex/R_e.
    """
    if not width > 0:
        raise ValueError(f"width must be positive, got {width}")
    frame = pd.DataFrame(
        {
            "plateifu": np.asarray(plateifu, dtype=object),
            "r": np.asarray(r_re, dtype=float),
            "oh": np.asarray(oh, dtype=float),
        }
    )
    frame = frame[np.isfinite(frame["r"]) & np.isfinite(frame["oh"])]
    frame["annulus"] = np.floor((frame["r"] - r_min) / width + 1e-9).astype(np.int64)
    annuli = frame.groupby(["plateifu", "annulus"], sort=True)[["r", "oh"]].mean()
    slopes = {}
    for key, points in annuli.groupby(level="plateifu", sort=True):
        r, y = points["r"].to_numpy(), points["oh"].to_numpy()
        slopes[key] = lad_line(r, y).slope if r.size >= min_annuli else np.nan
    return pd.Series(slopes, name="slope", dtype=float).rename_axis("plateifu")

"""§2.3's check: gradients of azimuthally averaged profiles against the spaxel gradients.

The paper fits its gradients to individual spaxels, which the MaNGA PSF does
not make independent, and reports that averaging over radial bins first gives
similar gradients. This figure shows both for every final galaxy, with the
one-to-one line, and the median and robust dispersion of the differences.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .. import columns as C
from ..stats import robust_sigma
from ._style import SINGLE_COLUMN, new_figure, read_table, styled

__all__ = ["draw_azimuthal_check"]


@styled
def draw_azimuthal_check(analysis_dir: Path):
    """Azimuthally averaged (0.1 R_e annuli) against spaxel LAD gradients.

    Parameters
    ----------
    analysis_dir : Path
        ``RUN/analysis/<calibrator>``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    gal = read_table(Path(analysis_dir), "galaxies")
    x = gal[C.grad("obs")].to_numpy(dtype=float)
    y = gal["grad_obs_azimuthal"].to_numpy(dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 3:
        raise ValueError(f"only {int(ok.sum())} galaxies have both gradients")
    diff = y[ok] - x[ok]
    fig, ax = new_figure(SINGLE_COLUMN, 3.4)
    ax.scatter(x[ok], y[ok], s=6, color="0.25", alpha=0.6, linewidths=0)
    lo, hi = np.percentile(np.concatenate([x[ok], y[ok]]), [0.5, 99.5])
    pad = 0.05 * (hi - lo)
    ax.plot([lo - pad, hi + pad], [lo - pad, hi + pad], color="tab:red", lw=1.0, label="1:1")
    ax.set_xlim(lo - pad, hi + pad)
    ax.set_ylim(lo - pad, hi + pad)
    ax.set_xlabel(r"spaxel gradient (dex/$R_e$)")
    ax.set_ylabel(r"azimuthal-profile gradient (dex/$R_e$)")
    ax.set_title(
        f"{ok.sum()} galaxies: median difference {np.median(diff):+.4f}, "
        f"dispersion {robust_sigma(diff):.4f} dex/$R_e$",
        fontsize="small",
    )
    ax.legend(loc="upper left", fontsize="small")
    return fig

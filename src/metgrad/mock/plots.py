"""Population figures of a synthetic survey, so a person can see that it looks like MaNGA.

Drawn from the truth tables (not through the readers): the M*-R_e plane, the
Sigma_*-O/H plane, the BPT-[NII] diagram of the observed fluxes and maps of a
few example galaxies. ``metgrad mock --plots`` calls :func:`plot_survey`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from .config import MockConfig
from .maps import base_metallicity
from .population import mass_size_median

__all__ = ["plot_survey"]


def _spaxels(out: Path, plateifu: str):
    return pq.read_table(out / "truth" / "spaxels" / f"{plateifu}.parquet").to_pandas()


def plot_survey(out_dir: str | Path, *, max_galaxies: int = 60, n_examples: int = 4) -> list[Path]:
    """Draw the survey's population figures into ``out_dir/plots``.

    Parameters
    ----------
    out_dir : path
        A folder written by :func:`metgrad.mock.survey.generate_survey`.
    max_galaxies : int, optional
        Galaxies whose spaxels enter the spaxel-level panels (evenly spaced).
    n_examples : int, optional
        Galaxies shown as example maps.

    Returns
    -------
    list of Path
        The PNG files written.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out_dir)
    plots = out / "plots"
    plots.mkdir(exist_ok=True)
    config = MockConfig()
    gal = pq.read_table(out / "truth" / "galaxies.parquet").to_pandas()
    written = []

    fig, ax = plt.subplots(figsize=(6, 4.5))
    sc = ax.scatter(gal.logm_kroupa, gal.log_re_kpc, c=gal.true_gradient_m13, s=14,
                    cmap="viridis", vmin=-0.25, vmax=0.05)  # fmt: skip
    m = np.linspace(8.7, 11.6, 50)
    ax.plot(m, mass_size_median(m, config), "k--", label="injected median")
    ax.set(xlabel=r"log $M_*$ [M$_\odot$, Kroupa]", ylabel=r"log $R_e$ [kpc]",
           title=f"{len(gal)} galaxies")  # fmt: skip
    fig.colorbar(sc, label="true M13 gradient 0.5-2 $R_e$ [dex/$R_e$]")
    ax.legend()
    written.append(_save(fig, plots / "mass_size.png"))

    step = max(1, len(gal) // max_galaxies)
    sample = gal.iloc[::step]
    tables = [_spaxels(out, p).assign(logm=m_) for p, m_ in zip(sample.plateifu,
              sample.logm_kroupa, strict=True)]  # fmt: skip
    import pandas as pd

    sp = pd.concat(tables, ignore_index=True)

    sf = sp[sp.is_star_forming & (sp.r_re >= 0.5) & (sp.r_re <= 2.0)]
    fig, ax = plt.subplots(figsize=(6, 4.5))
    ax.hexbin(sf.log_sigma_star, sf.oh_te, gridsize=50, mincnt=1, bins="log", cmap="Greys")
    s = np.linspace(6.5, 10, 50)
    for logm, colour in ((9.0, "tab:blue"), (10.0, "tab:green"), (11.0, "tab:red")):
        ax.plot(s, base_metallicity(logm, s, config), color=colour,
                label=rf"base, log $M_*$ = {logm:.0f}")  # fmt: skip
    ax.set(
        xlabel=r"log $\Sigma_*$ [M$_\odot$ kpc$^{-2}$]", ylabel="12 + log(O/H) (true, Te scale)"
    )
    ax.legend(fontsize=8)
    written.append(_save(fig, plots / "sigma_oh.png"))

    snr = np.minimum.reduce([sp[f"{t}_gflux"] / sp[f"{t}_gflux_err"]
                             for t in ("ha6564", "hb4862", "oiii5008", "nii6585")])  # fmt: skip
    det = sp[(snr > 3) & (sp.nii6585_gflux > 0) & (sp.oiii5008_gflux > 0)]
    fig, ax = plt.subplots(figsize=(6, 4.5))
    for flag, colour, label in (("is_star_forming", "tab:blue", "star-forming"),
                                ("is_dig", "tab:orange", "diffuse gas"),
                                ("is_liner", "tab:red", "LINER-like")):  # fmt: skip
        d = det[det[flag]]
        ax.scatter(np.log10(d.nii6585_gflux / d.ha6564_gflux),
                   np.log10(d.oiii5008_gflux / d.hb4862_gflux), s=1, alpha=0.3, color=colour,
                   label=f"{label} ({len(d)})")  # fmt: skip
    x = np.linspace(-1.6, 0.0, 100)
    ax.plot(x, 0.61 / (x - 0.05) + 1.3, "k-", label="Kauffmann+03")
    ax.set(xlim=(-1.6, 0.6), ylim=(-1.5, 1.2), xlabel=r"log [NII]6585/H$\alpha$",
           ylabel=r"log [OIII]5008/H$\beta$", title="observed (S/N > 3)")  # fmt: skip
    ax.legend(fontsize=8, markerscale=8)
    written.append(_save(fig, plots / "bpt.png"))

    examples = gal.iloc[np.linspace(0, len(gal) - 1, min(n_examples, len(gal))).astype(int)]
    quantities = (
        ("ha6564_gflux", r"H$\alpha$ (observed)", "log"),
        ("oh_m13", "O/H (M13)", None),
        ("d4000_pipe3d", "D4000 (Pipe3D)", None),
        ("ew_ha_obs", r"EW(H$\alpha$)", "log"),
    )
    fig, axes = plt.subplots(len(examples), 4, figsize=(12, 3 * len(examples)), squeeze=False)
    for row, g in zip(axes, examples.itertuples(), strict=True):
        t = _spaxels(out, g.plateifu)
        n = int(g.npix)
        for ax, (col, label, scale) in zip(row, quantities, strict=True):
            image = np.full((n, n), np.nan)
            values = t[col].to_numpy(float)
            if scale == "log":
                values = np.log10(np.where(values > 0, values, np.nan))
            image[t.spaxel_row, t.spaxel_col] = values
            im = ax.imshow(image, origin="lower", cmap="viridis")
            fig.colorbar(im, ax=ax, shrink=0.8)
            ax.set_title(f"{g.plateifu} {label}", fontsize=8)
            ax.set_xticks([])
            ax.set_yticks([])
    written.append(_save(fig, plots / "example_maps.png"))
    return written


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return path

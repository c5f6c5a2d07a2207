"""A small synthetic selected-spaxel table with injected truth, for the analysis's unit tests.

:func:`build` returns, in about 0.1 s, the two tables that
:func:`metgrad.analysis.load.load_selected_spaxels` returns for an ingested run
(the selected spaxels of every galaxy with their galaxy's values and log
columns; the galaxy table indexed by plate-ifu), made with NumPy alone from a
seeded generator, plus the truth each galaxy was made with.
:func:`write_run_folder` writes the same data as an ingested run on disk
(``spaxels/PLATE-IFU.parquet`` with ``selected`` and ``reject_reason``,
``galaxies.parquet`` with the checksums, row counts and configuration hash
ingest records, optionally ``manifest.json``), so that ``load`` and
``analyse_run`` can be run end to end on it.

This module is a reference: it imports nothing of metgrad (column names are
spelled here; a test checks they are the ones the loader reads).

The truth (``SyntheticRun.truth``, one row per galaxy)
-------------------------------------------------------
Every galaxy ``g`` has ``log_mstar`` (log10 Msun), ``re_kpc``, ``ba``, a
``mangaid`` and ``n_spaxels`` selected spaxels (``n_selected``) at radii ``r_re`` uniform in
[0.5, r_max] R_e (r_max = 2, but 0.6 for one galaxy). Its local stellar surface density is

    log_sigma_star = mu_g - 0.4 r_re + N(0, 0.05),    mu_g = 8.2 + 0.5 (log_mstar - 10)

and its M13 metallicity

    oh_m13 = a_g + b_g r_re + GAMMA (log_sigma_star - mu_g + 0.4 r_re) + N(0, noise_g)

i.e. a straight line in radius (intercept ``a_g``, slope ``b_g`` in dex/R_e,
the columns ``intercept`` and ``slope`` of the truth) plus a local term in the
stellar surface density at fixed radius (coefficient :data:`GAMMA`) plus noise
(``noise`` of the truth, 0.02 dex for most galaxies, 0.3 dex for the one galaxy
made to fail the 0.1 dex/R_e gradient-error cut, whose spaxels also span only
0.5-0.6 R_e: ``r_max`` of the truth, 2.0 for the others). ``oh_m13_err`` is 0.03 dex.
``oh_pg16 = oh_m13 - 0.1`` (error 0.05 dex) exactly, except NaN on every seventh
spaxel of the table (row ``i`` with ``i % 7 == 3``), so that the calibrator step
removes them for PG16 only; ``oh_m13_n2 = oh_m13 + 0.02`` (error 0.04 dex).

Built-in features (the first ten plate-ifus in the order made, before sorting): a
repeat observation (two plate-ifus of one ``mangaid``, the one with fewer spaxels
dropped by the ``most_spaxels`` rule), galaxies with b/a < 0.6, a galaxy with
fewer than 20 spaxels, a galaxy below 10^8.9 Msun, and a noisy one with a short
radial range (gradient error above 0.1 dex/R_e); then three galaxies exactly on
the paper's thresholds (b/a = 0.6, 20 spaxels, log M* = 8.9), which every cut
keeps. The tests recompute the counts from the arrays (never from the pipeline).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

#: Linear spaxel columns of an ingested spaxel table that the analysis reads.
SPAXEL_COLUMNS = (
    "plateifu", "r_re", "ew_ha", "a_v", "sigma_sfr", "sigma_star", "ssfr_local",
    "d4000", "log_age_lw", "av_over_sigma_star", "sigma_sfr_over_av",
)  # fmt: skip
#: Galaxy columns repeated on the spaxels.
GALAXY_COLUMNS = ("log_mstar", "log_re", "ba")
#: log10 columns the loader adds -> the linear column they are made from.
LOG_COLUMNS = {
    "log_sigma_star": "sigma_star",
    "log_sigma_sfr": "sigma_sfr",
    "log_ssfr": "ssfr_local",
    "log_ew_ha": "ew_ha",
    "log_av_over_sigma_star": "av_over_sigma_star",
    "log_sigma_sfr_over_av": "sigma_sfr_over_av",
}
#: Calibrators the table holds: key -> (O/H column, error column).
CALIBRATOR_COLUMNS = {
    "m13": ("oh_m13", "oh_m13_err"),
    "m13_n2": ("oh_m13_n2", "oh_m13_n2_err"),
    "pg16": ("oh_pg16", "oh_pg16_err"),
}
#: dex of O/H per dex of Sigma_* at fixed radius.
GAMMA = 0.1
#: Offset of PG16 from M13 (dex).
PG16_OFFSET = -0.1
#: Offset of M13 N2 from M13 O3N2 (dex).
M13_N2_OFFSET = 0.02
#: Configuration hash written into galaxies.parquet (any string: ingest's own).
CONFIG_HASH = "5y47e71c"


@dataclass(frozen=True)
class SyntheticRun:
    """The loaded tables of a synthetic run and the truth they were made with.

    Attributes
    ----------
    spaxels : pandas.DataFrame
        As ``load_selected_spaxels`` returns it: sorted by plate-ifu, RangeIndex.
    galaxies : pandas.DataFrame
        Indexed by plate-ifu (sorted): ``mangaid``, ``log_mstar``, ``re_kpc``,
        ``ba``, ``n_selected``, ``log_re``, ``log_phi_star``.
    truth : pandas.DataFrame
        Indexed by plate-ifu: ``intercept`` (dex), ``slope`` (dex/R_e), ``noise`` (dex),
        ``r_max`` (R_e; radii are uniform in [0.5, r_max]).
    unselected : pandas.DataFrame
        Extra spaxel rows of the same galaxies that ingest did not select
        (``reject_reason`` ``'snr'`` or ``'oh_m13'``), written only by
        :func:`write_run_folder`.
    """

    spaxels: pd.DataFrame
    galaxies: pd.DataFrame
    truth: pd.DataFrame
    unselected: pd.DataFrame


def _plateifus(n: int) -> list[str]:
    return [f"{8000 + i // 5}-{(1901, 3701, 6101, 9101, 12701)[i % 5]}" for i in range(n)]


def _galaxies(rng: np.random.Generator, n_galaxies: int) -> pd.DataFrame:
    names = _plateifus(n_galaxies)
    log_mstar = rng.uniform(9.2, 11.2, n_galaxies)
    ba = rng.uniform(0.62, 1.0, n_galaxies)
    n_spax = rng.integers(40, 81, n_galaxies)
    noise = np.full(n_galaxies, 0.02)
    r_max = np.full(n_galaxies, 2.0)
    mangaid = [f"1-{100000 + i}" for i in range(n_galaxies)]
    # the features: galaxy 1 re-observes galaxy 0's target with fewer spaxels; 2 and 3 are
    # too inclined; 4 has 12 spaxels; 5 is below 10^8.9 Msun; 6 is very noisy
    mangaid[1] = mangaid[0]
    n_spax[1] = n_spax[0] - 5
    ba[2], ba[3] = 0.45, 0.59
    n_spax[4] = 12
    log_mstar[5] = 8.7
    noise[6], r_max[6] = 0.3, 0.6
    # and on the thresholds (kept, since every cut is >= or <=): b/a = 0.6 exactly, 20
    # spaxels exactly, log M* = 8.9 exactly
    ba[7], n_spax[8], log_mstar[9] = 0.6, 20, 8.9
    re_kpc = 10 ** (0.5 + 0.25 * (log_mstar - 10) + rng.normal(0, 0.08, n_galaxies))
    frame = pd.DataFrame({
        "plateifu": names, "mangaid": mangaid, "log_mstar": log_mstar, "re_kpc": re_kpc,
        "ba": ba, "n_selected": n_spax,
        "intercept": 8.45 + 0.1 * (log_mstar - 10) + rng.normal(0, 0.03, n_galaxies),
        "slope": -0.03 - 0.04 * (log_mstar - 10) + rng.normal(0, 0.02, n_galaxies),
        "noise": noise,
        "r_max": r_max,
    })  # fmt: skip
    return frame.set_index("plateifu").sort_index()


def _galaxy_spaxels(rng, name, gal, n, truth) -> dict[str, np.ndarray]:
    r = rng.uniform(0.5, truth["r_max"], n)
    mu = 8.2 + 0.5 * (gal["log_mstar"] - 10)
    d_sigma = rng.normal(0, 0.05, n)
    log_sigma_star = mu - 0.4 * r + d_sigma
    log_ssfr = -10.0 + 0.3 * r + rng.normal(0, 0.2, n)
    log_sigma_sfr = log_ssfr + log_sigma_star
    a_v = rng.uniform(0.1, 1.5, n)
    oh = (
        truth["intercept"]
        + truth["slope"] * r
        + GAMMA * d_sigma
        + rng.normal(0, truth["noise"], n)
    )
    return {
        "plateifu": np.full(n, name, dtype=object),
        "r_re": r,
        "ew_ha": 10 ** rng.uniform(1.05, 2.0, n),
        "a_v": a_v,
        "sigma_sfr": 10**log_sigma_sfr,
        "sigma_star": 10**log_sigma_star,
        "ssfr_local": 10**log_ssfr,
        "d4000": rng.uniform(1.1, 1.7, n),
        "log_age_lw": rng.uniform(8.5, 9.8, n),
        "av_over_sigma_star": a_v / 10**log_sigma_star,
        "sigma_sfr_over_av": 10**log_sigma_sfr / a_v,
        "oh_m13": oh,
        "oh_m13_err": np.full(n, 0.03),
    }


def _log10(values: np.ndarray) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    out = np.full(values.shape, np.nan)
    np.log10(values, out=out, where=np.isfinite(values) & (values > 0))
    return out


def build(n_galaxies: int = 36, *, seed: int = 1) -> SyntheticRun:
    """The synthetic run (see the module docstring): ~36 galaxies x 40-80 spaxels.

    Parameters
    ----------
    n_galaxies : int, optional
        Number of plate-ifus (at least 10: the built-in features use the first ten).
    seed : int, optional
        Seed of :func:`numpy.random.default_rng`.
    """
    if n_galaxies < 10:
        raise ValueError(f"n_galaxies = {n_galaxies}: at least 10")
    rng = np.random.default_rng(seed)
    gal = _galaxies(rng, n_galaxies)
    parts = [
        _galaxy_spaxels(rng, name, gal.loc[name], int(gal.loc[name, "n_selected"]), gal.loc[name])
        for name in gal.index
    ]
    spaxels = pd.DataFrame({k: np.concatenate([p[k] for p in parts]) for k in parts[0]})
    n_per = gal["n_selected"].to_numpy()
    # PG16: M13 shifted, with a NaN on every seventh spaxel
    spaxels["oh_pg16"] = spaxels["oh_m13"] + PG16_OFFSET
    spaxels.loc[np.arange(len(spaxels)) % 7 == 3, "oh_pg16"] = np.nan
    spaxels["oh_pg16_err"] = 0.05
    spaxels["oh_m13_n2"] = spaxels["oh_m13"] + M13_N2_OFFSET
    spaxels["oh_m13_n2_err"] = 0.04
    # an escape velocity (km/s) from the galaxy's mass and the radius, only for the loader
    spaxels["v_esc"] = 10 ** (0.3 * (np.repeat(gal["log_mstar"].to_numpy(), n_per) - 10) + 2.4)
    spaxels["v_esc"] /= np.sqrt(spaxels["r_re"])
    galaxies = gal[["mangaid", "log_mstar", "re_kpc", "ba", "n_selected"]].copy()
    galaxies["log_re"] = np.log10(galaxies["re_kpc"])
    galaxies["log_phi_star"] = galaxies["log_mstar"] - galaxies["log_re"]
    for col in GALAXY_COLUMNS:
        spaxels[col] = galaxies[col].to_numpy()[galaxies.index.get_indexer(spaxels["plateifu"])]
    spaxels["log_phi_star"] = spaxels["log_mstar"] - spaxels["log_re"]
    for name, col in LOG_COLUMNS.items():
        spaxels[name] = _log10(spaxels[col])
    unselected = _unselected(rng, spaxels)
    truth = gal[["intercept", "slope", "noise", "r_max"]].copy()
    return SyntheticRun(spaxels.reset_index(drop=True), galaxies, truth, unselected)


def _unselected(rng, spaxels: pd.DataFrame) -> pd.DataFrame:
    """Two rejected spaxels per galaxy: one failing S/N, one failing only the M13 range."""
    first = spaxels.drop_duplicates("plateifu")
    rows = pd.concat([first, first]).sort_values("plateifu", kind="stable").copy()
    rows["reject_reason"] = np.tile(["snr", "oh_m13"], len(first))
    rows["oh_m13"] = np.where(rows["reject_reason"] == "oh_m13", 8.9, rows["oh_m13"])
    rows["r_re"] = rng.uniform(0.5, 2.0, len(rows))
    return rows.reset_index(drop=True)


def write_run_folder(
    folder,
    run: SyntheticRun,
    *,
    config: dict | None = None,
    calibrators=tuple(CALIBRATOR_COLUMNS),
    optional=("v_esc",),
) -> Path:
    """Write ``run`` as ``metgrad ingest`` would have: a folder ``analyse_run`` accepts.

    Parameters
    ----------
    folder : path-like
        Created if needed.
    run : SyntheticRun
    config : dict, optional
        Written as ``manifest.json``'s ``config`` (``{section: {key: value}}``); no
        manifest without it.
    calibrators : iterable of str
        Keys of :data:`CALIBRATOR_COLUMNS` whose columns the spaxel tables hold.
    optional : iterable of str
        Optional columns written (``()``: a run ingested before ``v_esc`` existed).

    Returns
    -------
    Path
        The folder.
    """
    folder = Path(folder)
    (folder / "spaxels").mkdir(parents=True, exist_ok=True)
    oh = [c for k in calibrators for c in CALIBRATOR_COLUMNS[k]]
    columns = [*SPAXEL_COLUMNS, *optional, *oh]
    sel = run.spaxels[columns].assign(selected=True, reject_reason="")
    rej = run.unselected[columns].assign(
        selected=False, reject_reason=run.unselected["reject_reason"]
    )
    table = pd.concat([sel, rej], ignore_index=True)
    sha, n_rows = [], []
    for name, rows in table.groupby("plateifu", sort=True):
        path = folder / "spaxels" / f"{name}.parquet"
        rows.reset_index(drop=True).to_parquet(path, index=False)
        sha.append(hashlib.sha256(path.read_bytes()).hexdigest())
        n_rows.append(len(rows))
    _write_galaxies(folder, run.galaxies, sha, n_rows)
    if config is not None:
        manifest = {"stage": "ingest", "config": config}
        (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


def _write_galaxies(folder: Path, galaxies: pd.DataFrame, sha, n_rows) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    frame = galaxies[["mangaid", "log_mstar", "re_kpc", "ba", "n_selected"]].reset_index()
    frame["config_hash"] = CONFIG_HASH
    frame["spaxels_sha256"] = sha
    frame["spaxels_rows"] = n_rows
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.replace_schema_metadata({b"metgrad.config_hash": CONFIG_HASH.encode()})
    pq.write_table(table, folder / "galaxies.parquet")

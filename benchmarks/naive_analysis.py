"""The straightforward version of ``metgrad analyse``: the baseline of ``bench_naive.py``.

Usage::

    python benchmarks/naive_analysis.py RUN_DIR [--refits 100] [--out DIR]

This is the analysis of Boardman et al. (2022) written the way a researcher would
write it with the usual tools, independently of metgrad's own algorithms:

- the ingested run's per-galaxy spaxel Parquet files read one by one with pandas;
- every straight-line fit a statsmodels ``QuantReg(...).fit(q=0.5)`` (median
  regression = least absolute deviations), fitted in a loop over pandas groups,
  one galaxy and one bootstrap / noise refit at a time;
- every dispersion ``astropy.stats.biweight_scale``;
- every LOESS Cappellari's ``loess.loess_2d.loess_2d``;
- the binned models as pandas ``groupby`` means, medians and standard deviations.

It does the same work as ``metgrad analyse`` (both calibrators; PG16 on the final
M13 galaxies): the sample cuts, observed gradients with ``n`` residual-bootstrap
refits and the 0.1 dex/R_e error cut, the seven model sets (base, D4000, EW_Ha,
SFH, SFH_Ha, SFH_a, SFH_b) and their chi2 / BIC, model gradients with ``n``
Gaussian-noise refits for every model set, the gradient offsets, and the
mass-size LOESS maps (``frac = 0.2``), thirds, bins and subsamples. It skips what
metgrad also does but a benchmark need not repeat (Spearman tables, residual
trends, radial profiles, writing every table), so a time ratio against it is
conservative. Like metgrad, it reuses a galaxy's first-pass observed gradient when
the final sample kept all its spaxels, so both sides do the same number of fits.

Choices that make the two comparable (not speed-ups):

- The settings are metgrad's defaults (the paper's), read from ``metgrad.config``.
- Random draws use metgrad's recipe (one generator per galaxy and purpose, from
  the run seed and a CRC-32 of ``"plateifu|stream"``), so both sides resample the
  same residuals and add the same noise.
- The dispersion: IDL ``ROBUST_SIGMA`` (the paper's) is a Tukey biweight scale
  about the median with a window of 6 Gaussian-normalised MADs, i.e. 6 / 0.6745 =
  8.9 raw MADs. Its astropy counterpart is ``biweight_scale`` (``mad_std`` is only
  the MAD step), used here with ``c = 6 / 0.6745``. The two still differ in the
  denominator (IDL: D (D - 1); astropy: D**2), which makes astropy's value smaller
  by sqrt((D - 1) / D): about 5 % for 10 values, 0.5 % for 100.
- QuantReg's iteratively reweighted least squares stops at its default tolerance
  (``p_tol = 1e-6``), so its lines are close to, not exactly at, the LAD optimum.
"""

from __future__ import annotations

import argparse
import math
import time
import warnings
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
from astropy.stats import biweight_scale
from loess.loess_2d import loess_2d
from statsmodels.regression.quantile_regression import QuantReg
from statsmodels.tools.sm_exceptions import IterationLimitWarning

from metgrad.config import GradientConfig, ModelConfig, SelectionConfig

__all__ = [
    "CALIBRATORS",
    "MODEL_SETS",
    "FitCounter",
    "LoessRetries",
    "analyse",
    "load_spaxels",
    "main",
]

SELECTION = SelectionConfig()
MODELS = ModelConfig()
SEED = GradientConfig().seed

#: Calibrator -> (metallicity column, error column).
CALIBRATORS = {"m13": ("oh_m13", "oh_m13_err"), "pg16": ("oh_pg16", "oh_pg16_err")}
#: The seven model sets: base features, correction kind, correction features (paper §3, App. A).
MODEL_SETS = {
    "base": (("log_mstar", "log_sigma_star"), None, ()),
    "D4000": (("log_mstar", "log_sigma_star"), "median_1d", ("d4000",)),
    "EW_Ha": (("log_mstar", "log_sigma_star"), "median_1d", ("log_ew_ha",)),
    "SFH": (("log_mstar", "log_sigma_star"), "binned_2d", ("d4000", "log_age_lw")),
    "SFH_Ha": (("log_mstar", "log_sigma_star"), "binned_2d", ("log_ew_ha", "log_age_lw")),
    "SFH_a": (("log_sigma_star", "d4000"), "binned_2d", ("log_mstar", "log_age_lw")),
    "SFH_b": (("log_mstar", "d4000"), "binned_2d", ("log_sigma_star", "log_age_lw")),
}
#: Bin width of each quantity in the 2-D maps, and in the 1-D corrections.
WIDTH_2D = {
    "log_mstar": MODELS.base_bin_mstar,
    "log_sigma_star": MODELS.base_bin_sigma,
    "d4000": MODELS.sfh_bin_d4000,
    "log_ew_ha": MODELS.sfh_bin_log_ew,
    "log_age_lw": MODELS.sfh_bin_log_age,
}
WIDTH_1D = {"d4000": MODELS.d4000_bin, "log_ew_ha": MODELS.log_ew_bin}
#: IDL ROBUST_SIGMA's biweight window in raw MADs.
ROBUST_C = 6.0 / 0.6745
SPAXEL_COLUMNS = [
    "plateifu", "r_re", "selected", "ew_ha", "sigma_star", "d4000", "log_age_lw",
    "oh_m13", "oh_m13_err", "oh_pg16", "oh_pg16_err",
]  # fmt: skip


class FitCounter:
    """QuantReg fits, seconds spent in them, and fits that hit the iteration limit."""

    n = 0
    seconds = 0.0
    not_converged = 0


class LoessRetries:
    """Number of loess_2d calls retried with one more neighbour (see `smooth`)."""

    n = 0


def dispersion(values):
    """Robust dispersion: astropy's biweight scale with ROBUST_SIGMA's window."""
    return biweight_scale(np.asarray(values, dtype=float), c=ROBUST_C)


def fit_line(X, y):
    """Median (LAD) regression of y on X = [1, R/Re]: returns (slope, intercept)."""
    start = time.perf_counter()
    params = QuantReg(y, X).fit(q=0.5).params
    FitCounter.seconds += time.perf_counter() - start
    FitCounter.n += 1
    return params[1], params[0]


def galaxy_rng(plateifu, stream):
    """metgrad's seeding recipe, so that both sides draw the same numbers."""
    return np.random.default_rng([SEED, zlib.crc32(f"{plateifu}|{stream}".encode())])


def observed_gradient(plateifu, r, oh, stream, n_refits):
    """Best LAD line and the dispersion of n residual-bootstrap refits."""
    X = np.column_stack([np.ones_like(r), r])
    slope, intercept = fit_line(X, oh)
    model = intercept + slope * r
    residuals = oh - model
    picks = galaxy_rng(plateifu, stream).integers(0, r.size, size=(n_refits, r.size))
    slopes = [fit_line(X, model + residuals[p])[0] for p in picks]
    return slope, dispersion(slopes), intercept, r.size


def model_gradient(plateifu, r, oh, err, stream, n_refits):
    """Best LAD line and the dispersion of n refits with Gaussian noise of sigma = err."""
    X = np.column_stack([np.ones_like(r), r])
    slope, intercept = fit_line(X, oh)
    noise = galaxy_rng(plateifu, stream).standard_normal((n_refits, r.size))
    slopes = [fit_line(X, oh + err * z)[0] for z in noise]
    return slope, dispersion(slopes), intercept, r.size


def gradients(spaxels, value, error, stream, n_refits, reuse=None):
    """Gradient of every galaxy (one pandas group at a time); observed if error is None."""
    rows = {}
    for plateifu, g in spaxels.groupby("plateifu"):
        if error is not None:
            g = g[g[value].notna() & g[error].notna()]
        if g["r_re"].nunique() < 2:
            continue
        if reuse is not None and plateifu in reuse.index and reuse.at[plateifu, "n"] == len(g):
            rows[plateifu] = reuse.loc[plateifu].tolist()
            continue
        r, oh = g["r_re"].to_numpy(), g[value].to_numpy()
        if error is None:
            rows[plateifu] = observed_gradient(plateifu, r, oh, stream, n_refits)
        else:
            err = g[error].to_numpy()
            rows[plateifu] = model_gradient(plateifu, r, oh, err, stream, n_refits)
    table = pd.DataFrame.from_dict(
        rows, orient="index", columns=["slope", "slope_err", "intercept", "n"]
    )
    table.index.name = "plateifu"
    return table


# --- models -------------------------------------------------------------------------------


def bin_keys(spaxels, features, widths):
    """Bin numbers floor(x / width) of each spaxel along each feature."""
    return [
        np.floor(spaxels[f] / w).rename(f"bin_{f}") for f, w in zip(features, widths, strict=True)
    ]


def loess_npoints(n, frac):
    """Neighbours of each local fit: frac * n, but at least 4 (3 coefficients + 1)."""
    return min(n, max(math.ceil(frac * n), 4))


def smooth(x, y, z, npoints):
    """Cappellari's loess_2d (degree 1, rescale), retried with one more neighbour if it fails.

    With very few neighbours (small samples) a neighbourhood's median absolute
    residual can be exactly 0; loess_2d then divides 0 by 0 and its least squares
    fail. ``LoessRetries.n`` counts the retries (none at the benchmark's scale).
    """
    try:
        return loess_2d(x, y, z, npoints=npoints, rescale=True)[0]
    except np.linalg.LinAlgError:
        if npoints >= len(x):
            raise
        LoessRetries.n += 1
        return smooth(x, y, z, npoints + 1)


def fit_binned_mean(spaxels, target, features, min_count):
    """Mean target in 2-D bins with >= min_count spaxels, LOESS-smoothed over the bins."""
    widths = [WIDTH_2D[f] for f in features]
    table = pd.concat([*bin_keys(spaxels, features, widths), target.rename("v")], axis=1)
    stats = table.dropna().groupby([f"bin_{f}" for f in features])["v"]
    stats = stats.agg(["count", "mean", "std"])
    stats = stats[stats["count"] >= min_count].copy()
    xc = (stats.index.get_level_values(0).to_numpy() + 0.5) * widths[0]
    yc = (stats.index.get_level_values(1).to_numpy() + 0.5) * widths[1]
    npoints = loess_npoints(len(stats), MODELS.base_loess_frac)
    stats["smoothed"] = smooth(xc, yc, stats["mean"].to_numpy(), npoints)
    return stats


def predict_binned_mean(spaxels, stats, features):
    """Smoothed mean of each spaxel's bin and the bin's standard deviation (NaN: no bin)."""
    widths = [WIDTH_2D[f] for f in features]
    keys = pd.MultiIndex.from_arrays(bin_keys(spaxels, features, widths))
    found = stats.reindex(keys)
    return found["smoothed"].to_numpy(), found["std"].to_numpy()


def fit_median_1d(spaxels, residual, feature, min_count):
    """Median residual and its robust scatter in 1-D bins with >= min_count spaxels."""
    width = WIDTH_1D[feature]
    table = pd.concat([*bin_keys(spaxels, [feature], [width]), residual.rename("v")], axis=1)
    groups = table.dropna().groupby(f"bin_{feature}")["v"]
    stats = groups.agg(["count", "median", dispersion])
    stats = stats[stats["count"] >= min_count].copy()
    stats["centre"] = (stats.index.to_numpy() + 0.5) * width
    return stats


def predict_median_1d(spaxels, stats, feature):
    """Linear interpolation between the bin centres; NaN beyond the outer ones."""
    x = spaxels[feature].to_numpy()
    centre = stats["centre"].to_numpy()
    inside = (x >= centre[0]) & (x <= centre[-1])
    value = np.where(inside, np.interp(x, centre, stats["median"].to_numpy()), np.nan)
    error = np.where(inside, np.interp(x, centre, stats["dispersion"].to_numpy()), np.nan)
    return value, error


def fit_predict_model(spaxels, oh, name):
    """Fit one model set on the spaxels; return prediction, error and number of bins."""
    base_features, kind, corr_features = MODEL_SETS[name]
    base = fit_binned_mean(spaxels, oh, base_features, MODELS.base_min_count)
    pred, err = predict_binned_mean(spaxels, base, base_features)
    if kind is None:
        return pred, err, len(base)
    residual = oh - pred
    if kind == "median_1d":
        corr = fit_median_1d(spaxels, residual, corr_features[0], MODELS.corr1d_min_count)
        c_pred, c_err = predict_median_1d(spaxels, corr, corr_features[0])
    else:
        corr = fit_binned_mean(spaxels, residual, corr_features, MODELS.corr2d_min_count)
        c_pred, c_err = predict_binned_mean(spaxels, corr, corr_features)
    return pred + c_pred, np.hypot(err, c_err), len(base) + len(corr)


def model_metrics(spaxels, oh_col, err_col, n_params):
    """Residual dispersion, chi2 and BIC of each model on the spaxels all models predict."""
    common = spaxels[oh_col].notna() & (spaxels[err_col] > 0)
    for name in n_params:
        common &= spaxels[f"pred_{name}"].notna()
    s = spaxels[common]
    rows = {}
    for name, k in n_params.items():
        residual = s[oh_col] - s[f"pred_{name}"]
        chi2 = float(((residual / s[err_col]) ** 2).sum())
        rows[name] = {
            "n": len(s),
            "median_residual": residual.median(),
            "residual_dispersion": dispersion(residual),
            "chi2": chi2,
            "k": k,
            "bic": chi2 + k * np.log(len(s)),
        }
    return pd.DataFrame.from_dict(rows, orient="index")


# --- mass-size plane ----------------------------------------------------------------------


def loess_map(gal, column):
    """LOESS of a galaxy quantity over (log M*, log Re): 20 % of the galaxies, rescaled."""
    ok = gal[["log_mstar", "log_re", column]].notna().all(axis=1)
    g = gal[ok]
    out = pd.Series(np.nan, index=gal.index)
    if len(g) >= 4:
        x, y, z = (g[c].to_numpy() for c in ("log_mstar", "log_re", column))
        out[ok] = smooth(x, y, z, loess_npoints(len(g), 0.2))
    return out


def massize_plane(gal):
    """Mass thirds, size class, the six mass-size bins and offset subsamples."""
    edges = np.percentile(gal["log_mstar"], [100 / 3, 200 / 3])
    gal["mass_third"] = np.select(
        [gal["log_mstar"] <= edges[0], gal["log_mstar"] <= edges[1]], ["low", "mid"], "high"
    )
    mass_bin = np.floor(gal["log_mstar"] / 0.2)
    median_re = gal.groupby(mass_bin)["log_re"].transform("median")
    gal["extended"] = gal["log_re"] > median_re
    gal["massize_bin"] = gal["mass_third"] + np.where(gal["extended"], "-extended", "-compact")
    gal["subsample"] = ""
    for _, g in gal.groupby("massize_bin"):
        lo, hi = np.percentile(g["offset_sfh"], [10, 90])
        gal.loc[g.index[g["offset_sfh"].abs() <= 0.02], "subsample"] = "small"
        gal.loc[g.index[g["offset_sfh"] <= lo], "subsample"] = "steep"
        gal.loc[g.index[g["offset_sfh"] >= hi], "subsample"] = "shallow"
    return gal


# --- the analysis -------------------------------------------------------------------------


def load_spaxels(run_dir):
    """Selected spaxels of every ingested galaxy, with the galaxy values and log columns."""
    run_dir = Path(run_dir)
    galaxies = pd.read_parquet(run_dir / "galaxies.parquet").set_index("plateifu").sort_index()
    galaxies["log_re"] = np.log10(galaxies["re_kpc"])
    frames = []
    for plateifu in galaxies.index:
        table = pd.read_parquet(
            run_dir / "spaxels" / f"{plateifu}.parquet", columns=SPAXEL_COLUMNS
        )
        frames.append(table[table["selected"]])
    spaxels = pd.concat(frames, ignore_index=True)
    spaxels = spaxels.join(galaxies[["log_mstar", "log_re", "ba"]], on="plateifu")
    spaxels["log_sigma_star"] = np.log10(spaxels["sigma_star"].where(spaxels["sigma_star"] > 0))
    spaxels["log_ew_ha"] = np.log10(spaxels["ew_ha"].where(spaxels["ew_ha"] > 0))
    return spaxels


def at_least(spaxels, n):
    """Spaxels of the galaxies that have at least n of them."""
    return spaxels[spaxels.groupby("plateifu")["r_re"].transform("size") >= n]


def analyse_calibrator(spaxels, key, n_refits, galaxy_sample=None):
    """Everything for one calibrator: sample, gradients, models, offsets, mass-size maps."""
    oh_col, err_col = CALIBRATORS[key]
    s = spaxels[spaxels[oh_col].notna() & spaxels[err_col].notna() & (spaxels[err_col] > 0)]
    if galaxy_sample is not None:
        s = s[s["plateifu"].isin(galaxy_sample)]
    s = s[s["ba"] >= SELECTION.ba_min]
    s = at_least(s, SELECTION.min_spaxels)

    first = gradients(s, oh_col, None, f"observed-{key}", n_refits)
    keep = first.index[first["slope_err"] <= SELECTION.gradient_err_max]
    s = s[s["plateifu"].isin(keep)].reset_index(drop=True)

    n_params = {}
    for name in MODEL_SETS:
        pred, err, n_params[name] = fit_predict_model(s, s[oh_col], name)
        s[f"pred_{name}"], s[f"err_{name}"] = pred, err
    metrics = model_metrics(s, oh_col, err_col, n_params)

    final = s["log_mstar"] >= SELECTION.log_mstar_min
    for name in ("base", "SFH"):
        final &= s[f"pred_{name}"].notna() & s[f"err_{name}"].notna()
    f = at_least(s[final], SELECTION.min_spaxels)
    s["final"] = s.index.isin(f.index)

    obs = gradients(f, oh_col, None, f"observed-{key}", n_refits, reuse=first)
    gal = pd.DataFrame(index=obs.index)
    for tag, table in [("obs", obs)] + [
        (name.lower(), gradients(f, f"pred_{name}", f"err_{name}", f"{name}-{key}", n_refits))
        for name in MODEL_SETS
    ]:
        gal[f"grad_{tag}"] = table["slope"]
        gal[f"grad_{tag}_err"] = table["slope_err"]
        gal[f"intercept_{tag}"] = table["intercept"]
    gal["n_spaxels"] = obs["n"]
    gal = gal.join(f.groupby("plateifu")[["log_mstar", "log_re", "ba"]].first())
    for name in MODEL_SETS:
        gal[f"offset_{name.lower()}"] = gal["grad_obs"] - gal[f"grad_{name.lower()}"]
    norm = dispersion(gal["offset_base"])
    gal["offset_base_norm"] = gal["offset_base"] / norm
    gal["offset_sfh_norm"] = gal["offset_sfh"] / norm
    gal["err_obs_base"] = np.hypot(gal["grad_obs_err"], gal["grad_base_err"])
    for col in ("grad_obs", "grad_base", "grad_sfh", "offset_base_norm", "offset_sfh_norm"):
        gal[f"loess_{col}"] = loess_map(gal, col)
    gal = massize_plane(gal)
    return {"galaxies": gal, "spaxels": s, "metrics": metrics}


def analyse(run_dir, n_refits=100):
    """Both calibrators (M13 first; PG16 on M13's final galaxies). Returns key -> results."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("ignore")  # numpy's 0/0 inside loess_2d, QuantReg's bandwidth
        warnings.simplefilter("always", IterationLimitWarning)
        spaxels = load_spaxels(run_dir)
        results = {"m13": analyse_calibrator(spaxels, "m13", n_refits)}
        m13_galaxies = results["m13"]["galaxies"].index
        results["pg16"] = analyse_calibrator(spaxels, "pg16", n_refits, galaxy_sample=m13_galaxies)
    FitCounter.not_converged += sum(w.category is IterationLimitWarning for w in caught)
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path, help="folder written by `metgrad ingest`")
    parser.add_argument("--refits", type=int, default=100, help="bootstrap / noise refits")
    parser.add_argument("--out", type=Path, help="write <calibrator>_galaxies.csv here")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    results = analyse(args.run_dir, n_refits=args.refits)
    seconds = time.perf_counter() - start
    for key, res in results.items():
        print(f"{key}: {len(res['galaxies'])} galaxies")
        if args.out is not None:
            args.out.mkdir(parents=True, exist_ok=True)
            res["galaxies"].to_csv(args.out / f"{key}_galaxies.csv")
    print(
        f"{seconds:.1f} s; {FitCounter.n} QuantReg fits, "
        f"{1e3 * FitCounter.seconds / max(FitCounter.n, 1):.2f} ms each, "
        f"{FitCounter.not_converged} at QuantReg's iteration limit"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

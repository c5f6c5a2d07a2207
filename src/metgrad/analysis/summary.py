"""The headline numbers of one calibrator's analysis (``summary.json``).

Every number the paper quotes in its text (sample sizes, residual dispersions,
gradient offsets, the offset normalisation, mass-third edges, Tables 1 and A1),
with the options and versions that produced them.
"""

from __future__ import annotations

import numpy as np

from .. import columns as C
from ..config import RunConfig
from ..stats.robust import robust_sigma
from .result import CalibratorResult

__all__ = ["summarise"]


def _stats(values) -> dict[str, float]:
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if not v.size:
        return {"n": 0, "median": float("nan"), "dispersion": float("nan")}
    return {"n": int(v.size), "median": float(np.median(v)), "dispersion": float(robust_sigma(v))}


def _models(metrics) -> dict:
    return {
        name: {k: (int(v) if k in ("k", "n") else float(v)) for k, v in row.items()}
        for name, row in metrics.to_dict(orient="index").items()
    }


def _sample_counts(result: CalibratorResult) -> dict:
    steps = result.gradients.final.steps
    names = [r["step"] for r in steps.rows]
    after_cuts = "min_spaxels" if "min_spaxels" in names else names[-1]
    removed = 0
    if "mass" in names:
        removed = steps.count("gradient_error") - steps.count("mass")
    return {
        "sample_steps": list(steps.rows),
        "n_spaxels_after_cuts": steps.count(after_cuts, "n_spaxels"),
        "n_galaxies_removed_low_mass": removed,
    }


def _gradient_numbers(gal, f, oh_col, config) -> dict:
    resid = {m: f[oh_col] - f[C.pred(m)] for m in ("base", "SFH")}
    az = gal["grad_obs_azimuthal"] - gal[C.grad("obs")]
    return {
        "residual_base": _stats(resid["base"]),
        "residual_sfh": _stats(resid["SFH"]),
        "gradient_obs": _stats(gal[C.grad("obs")]),
        "gradient_obs_error_median": float(np.nanmedian(gal[C.grad_err("obs")])),
        "gradient_obs_error_below_0p02_fraction": float(np.mean(gal[C.grad_err("obs")] < 0.02)),
        "gradient_obs_base_error_median": float(np.nanmedian(gal["err_obs_base"])),
        "gradient_azimuthal_minus_spaxel": _stats(az),
        "offset_base": _stats(gal[C.offset("base")]),
        "offset_sfh": _stats(gal[C.offset("SFH")]),
        "offset_by_model": {m: _stats(gal[C.offset(m)]) for m in config.gradients.models},
    }


def summarise(result: CalibratorResult, config: RunConfig, provenance: dict) -> dict:
    """The content of ``summary.json``.

    Parameters
    ----------
    result : CalibratorResult
    config : RunConfig
    provenance : dict
        ``config_hash`` and ``versions`` of the run.
    """
    gal = result.plane.galaxies
    f = result.final_spaxels
    counts = gal["massize_bin"].value_counts().to_dict()
    cfg = config.models
    summary = {
        "calibrator": result.calibrator.key,
        "calibrator_name": result.calibrator.name,
        "seed": config.gradients.seed,
        "n_bootstrap": config.gradients.n_bootstrap,
        "n_noise": config.gradients.n_noise,
        **provenance,
        "subsample_percentiles": [
            config.massize.steep_percentile,
            config.massize.shallow_percentile,
        ],
        "subsample_small_offset": config.massize.small_offset,
        "map_widths": {
            "base": [cfg.base_bin_mstar, cfg.base_bin_sigma],
            "sfh_correction": [cfg.sfh_bin_d4000, cfg.sfh_bin_log_age],
            "sfh_ha_correction": [cfg.sfh_bin_log_ew, cfg.sfh_bin_log_age],
            "sigma_sfr_residual": [config.trends.sfr_map_bin] * 2,
        },
        **_sample_counts(result),
        "n_spaxels_final": len(f),
        "n_galaxies_final": len(gal),
        "n_repeat_observations_dropped": int((~result.repeats.table["kept"]).sum()),
        "models_common_n": int(result.tables.table1["n"].iloc[0]),
        "models_common_ln_n": float(result.tables.table1["ln_n"].iloc[0]),
        **_gradient_numbers(gal, f, result.calibrator.oh_column, config),
        "offset_normalisation": result.gradients.offset_normalisation,
        "mass_third_edges_log_mstar": [float(e) for e in result.plane.third_edges],
        "massize_bin_counts": {k: int(v) for k, v in sorted(counts.items()) if k},
        "models": _models(result.tables.all_models),
        "models_not_fitted": dict(result.fitted.failed),
        "table1": result.tables.table1.reset_index().to_dict(orient="records"),
        "tableA1": result.tables.tableA1.reset_index().to_dict(orient="records"),
    }
    return summary

"""Step 6 (§4.1): observed and model gradients of the final galaxies, and their offsets.

The observed gradients are refitted on the final spaxels (a galaxy that kept
all its spaxels reuses its first-pass fit: same data, seed and stream, so the
same numbers) and, with ``[analysis] recheck_final_error``, galaxies whose
final error exceeds ``selection.gradient_err_max`` leave the sample. Each
model set of ``[gradients] models`` gets a gradient from its predictions with
Gaussian-noise refits; the offset is observed minus model gradient.
The azimuthally averaged profile gradient (§2.3's check) is measured beside them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import columns as C
from ..config import RunConfig
from ..gradients import galaxy_gradients
from ..stats.robust import robust_sigma
from .azimuthal import azimuthal_gradients
from .final_sample import FinalSample
from .observed import observed_stream

__all__ = ["FinalGradients", "measure_final_gradients", "model_stream"]


def model_stream(model: str, calibrator_key: str) -> str:
    """Name of the random stream of a model set's noise refits."""
    return f"{model}-{calibrator_key}"


@dataclass(frozen=True)
class FinalGradients:
    """Per-galaxy gradients of the final sample.

    Attributes
    ----------
    galaxies : pandas.DataFrame
        Indexed by plate-ifu (sorted): ``grad_obs``, ``grad_obs_err``,
        ``intercept_obs``, the same for each model (``grad_base``, ``grad_sfh``,
        ...), ``n_spaxels`` (and ``n_spaxels_<model>`` for the optional models),
        ``log_mstar``, ``log_re``, ``ba``, ``offset_<model>``,
        ``offset_base_norm``, ``offset_sfh_norm``, ``err_obs_base``,
        ``grad_obs_azimuthal``.
    final : FinalSample
        The final sample after the re-check of the gradient errors.
    offset_normalisation : float
        robust_sigma of the base offsets (dex/R_e), the unit of the normalised offsets.
    spaxels : pandas.DataFrame
        The final spaxels, with only the columns the later steps read: plate-ifu,
        R/R_e, the observed O/H, the galaxy values, and ``pred_<model>`` /
        ``err_<model>`` of the base, SFH and configured model sets.
    """

    galaxies: pd.DataFrame
    final: FinalSample
    offset_normalisation: float
    spaxels: pd.DataFrame


def _observed(f, oh_col, first_pass, key, config, pool):
    n_now = f.groupby(C.PLATEIFU, sort=False).size()
    same = n_now.index[n_now.to_numpy() == first_pass["n_spaxels"].reindex(n_now.index)]
    changed = ~f[C.PLATEIFU].isin(same).to_numpy()
    refit = galaxy_gradients(
        f[C.PLATEIFU].to_numpy()[changed], f[C.R_RE].to_numpy()[changed],
        f[oh_col].to_numpy()[changed], seed=config.gradients.seed,
        stream=observed_stream(key), n_refits=config.gradients.n_bootstrap, pool=pool,
    )  # fmt: skip
    parts = [part for part in (first_pass.loc[same], refit) if len(part)]
    obs = pd.concat(parts) if parts else refit
    obs = obs.astype({"slope": float, "slope_err": float, "intercept": float})
    return obs.reindex(n_now.index).dropna(subset=["slope"])


def _recheck(obs, final, f, config):
    """Drop galaxies whose final gradient error exceeds the limit (an option)."""
    if not config.analysis.recheck_final_error:
        return obs, final, f
    limit = config.selection.gradient_err_max
    keep = obs.index[obs["slope_err"] <= limit]
    f = f[f[C.PLATEIFU].isin(keep)]
    steps = final.steps.add(
        "final_gradient_error", f"final observed gradient error <= {limit} dex/Re",
        f[C.PLATEIFU],
    )  # fmt: skip
    return obs.loc[keep], FinalSample(f.index, steps), f


def _model_gradients(f, key, config, pool) -> dict[str, pd.DataFrame]:
    grads = {}
    for name in config.gradients.models:
        pred, perr = f[C.pred(name)].to_numpy(), f[C.err(name)].to_numpy()
        ok = np.isfinite(pred) & np.isfinite(perr)
        grads[name] = galaxy_gradients(
            f[C.PLATEIFU].to_numpy()[ok], f[C.R_RE].to_numpy()[ok], pred[ok], perr[ok],
            seed=config.gradients.seed, stream=model_stream(name, key),
            n_refits=config.gradients.n_noise, pool=pool,
        )  # fmt: skip
    return grads


def _galaxy_table(f, grads, config) -> tuple[pd.DataFrame, float]:
    obs = grads["obs"]
    gal = pd.DataFrame(index=obs.index.sort_values())
    for name, frame in grads.items():
        gal[C.grad(name)] = frame["slope"]
        gal[C.grad_err(name)] = frame["slope_err"]
        gal[C.intercept(name)] = frame["intercept"]
        if name not in ("obs", "base", "SFH"):
            n = frame["n_spaxels"].reindex(gal.index).fillna(0).astype(int)
            gal[f"n_spaxels_{name.lower()}"] = n
    gal[C.N_SPAXELS] = obs["n_spaxels"]
    first = f.groupby(C.PLATEIFU, sort=True)[[C.LOG_MSTAR, C.LOG_RE, C.BA]].first()
    gal = gal.join(first)
    for name in config.gradients.models:
        gal[C.offset(name)] = gal[C.grad("obs")] - gal[C.grad(name)]
    norm = float(robust_sigma(gal[C.offset("base")].dropna().to_numpy()))
    gal["offset_base_norm"] = gal[C.offset("base")] / norm
    gal["offset_sfh_norm"] = gal[C.offset("SFH")] / norm
    gal["err_obs_base"] = np.hypot(gal[C.grad_err("obs")], gal[C.grad_err("base")])
    return gal, norm


def _final_frame(spaxels, final, fitted, oh_col, config) -> pd.DataFrame:
    """The final rows, with only the columns the gradients, plane and summary read."""
    f = spaxels.loc[final.rows, [C.PLATEIFU, C.R_RE, oh_col, C.LOG_MSTAR, C.LOG_RE, C.BA]]
    at = spaxels.index.get_indexer(final.rows)
    for name in dict.fromkeys(("base", "SFH", *config.gradients.models)):
        pred, err = fitted.pair(name)
        f[C.pred(name)], f[C.err(name)] = pred[at], err[at]
    return f


def measure_final_gradients(
    spaxels: pd.DataFrame, final: FinalSample, first_pass: pd.DataFrame, *,
    fitted, calibrator, from_reference: bool, config: RunConfig, pool,
) -> FinalGradients:  # fmt: skip
    """Observed, model and azimuthal gradients of every final galaxy.

    Parameters
    ----------
    spaxels : pandas.DataFrame
        The model-fitting sample.
    final : FinalSample
        Its final rows.
    first_pass : pandas.DataFrame
        The observed gradients of step 2 (reused where a galaxy kept every spaxel).
    fitted : FittedModels
        The models' predictions for the model-fitting sample.
    calibrator : Calibrator
    from_reference : bool
        The sample is the reference calibrator's final one: no re-check.
    config : RunConfig
    pool : object with ``map``
        The analysis's thread pool.
    """
    key, oh_col = calibrator.key, calibrator.oh_column
    f = _final_frame(spaxels, final, fitted, oh_col, config)
    obs = _observed(f, oh_col, first_pass, key, config, pool)
    if not from_reference:
        obs, final, f = _recheck(obs, final, f, config)
    if f.empty:
        raise ValueError(f"{key}: no galaxy left after the final gradient-error check")
    grads = {"obs": obs, **_model_gradients(f, key, config, pool)}
    gal, norm = _galaxy_table(f, grads, config)
    gal["grad_obs_azimuthal"] = azimuthal_gradients(
        f[C.PLATEIFU].to_numpy(), f[C.R_RE].to_numpy(), f[oh_col].to_numpy(),
        width=config.analysis.azimuthal_bin, r_min=config.selection.r_re_min,
    ).reindex(gal.index)  # fmt: skip
    return FinalGradients(gal, final, norm, f)

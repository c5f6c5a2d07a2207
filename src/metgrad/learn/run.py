"""The ``learn`` stage: which parameters predict metallicity and its gradient, on unseen galaxies.

:func:`learn_run` reads an analysed run and writes, per calibrator, under
``RUN/learn/<calibrator>/``:

==========================  ============================================================
``scores.csv``              one row per model: features, spaxels and galaxies scored
                            (common to every model or not), folds, coverage,
                            held-out residual dispersion and chi2, gradient
                            offsets and their dependence on size
``importance.csv``          permutation importance of each feature and group of
                            correlated features of each learned model, held-out folds
``partial_dependence.csv``  mean prediction against each feature of each learned model
                            (grid: the feature's 5th-95th percentiles), over the folds
``galaxies.parquet``        per held-out galaxy and model: observed and predicted
                            gradient, offset, fold, mass, size and mass-size offset
``folds.csv``               the fold of every galaxy (the same for every model)
``summary.json``            seeds, fold sizes, feature groups, weighting, options,
                            versions
==========================  ============================================================

Every model (the paper's ``base`` and ``SFH`` refitted, and gradient-boosted
trees on the feature sets of :data:`~metgrad.learn.features.FEATURE_SETS`) is
trained on the same galaxy folds (:func:`~metgrad.learn.folds.galaxy_folds`)
and predicts the final-sample spaxels of the galaxies held out. Models are
trained on the analysis' model-fitting sample of the training galaxies (as the
paper fits its models), scored on the final sample.

Fits run as (model, fold) tasks on ``workers`` threads, each learner limited to
one OpenMP thread (no oversubscription); every seed is derived from
``[learn] seed``, the fold and the model, so results do not depend on
``workers``.
"""

from __future__ import annotations

import json
import os
import time
from concurrent.futures import ThreadPoolExecutor
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from ..atomic import write_csv_atomic, write_json_atomic, write_parquet_atomic
from ..calibration import get as get_calibrator
from ..config import RunConfig, config_from_dict
from ..layout import RunLayout
from ..provenance import package_versions
from ..stats.robust import robust_sigma
from .dependence import feature_grids, partial_dependence
from .features import POTENTIAL, feature_groups
from .folds import galaxy_folds, size_offset, spaxel_folds
from .importance import group_name, permutation_importance
from .inputs import analysed_calibrators, learn_table
from .learners import ModelSpec, build_model, model_specs
from .scores import held_out_gradients, offset_statistics, spaxel_scores

__all__ = ["learn_run", "recorded_config"]

#: Held-out spaxels per fold averaged over in the partial dependences (about; evenly
#: taken from the permutation-importance subset).
PD_SPAXELS = 1000


def _fold_galaxies(table: pd.DataFrame, config: RunConfig) -> pd.DataFrame:
    lc = config.learn
    gal = table.groupby("plateifu", sort=False)[["log_mstar", "log_re"]].first()
    gal["size_offset"] = size_offset(gal["log_mstar"], gal["log_re"])
    gal["fold"] = galaxy_folds(
        gal["log_mstar"], gal["log_re"], n_folds=lc.folds, seed=lc.seed,
        strata_mass=lc.strata_mass, strata_size=lc.strata_size,
    )  # fmt: skip
    return gal


def _weights(table, train, y, y_err, config: RunConfig) -> np.ndarray | None:
    """1 / (error^2 + intrinsic^2) on the training spaxels, or None (unweighted).

    The intrinsic scatter is that of the training fold's base-model residuals
    beyond the median measurement variance.
    """
    if config.learn.weighting == "none":
        return None
    base = build_model(model_specs()[0], learn=config.learn, models=config.models)
    frame = table.loc[train, ["log_mstar", "log_sigma_star"]]
    resid = y[train] - base.fit(frame, y[train]).predict(frame)
    var = y_err[train] ** 2
    intrinsic2 = max(float(robust_sigma(resid)) ** 2 - float(np.median(var)), 0.0)
    return 1.0 / (var + intrinsic2)


def _fit_fold(task, *, table, y, y_err, fold, final, groups, grids, config: RunConfig):
    """Fit one model on all folds but one; predict that fold; permutation importances."""
    index, spec, k = task
    lc = config.learn
    train, test = fold != k, (fold == k) & final
    columns = list(spec.features)
    model = build_model(spec, learn=lc, models=config.models)
    weight = _weights(table, train, y, y_err, config) if spec.kind == "learned" else None
    model.fit(table.loc[train, columns], y[train], weight)
    pred = model.predict(table.loc[test, columns])
    rows = []
    if spec.kind == "learned":
        rng = np.random.default_rng([lc.seed, k, index])
        held = np.flatnonzero(test)
        if held.size > lc.importance_max_spaxels:
            held = np.sort(rng.choice(held, lc.importance_max_spaxels, replace=False))
        items = [(f,) for f in columns] + [g for g in groups if set(g) <= set(columns)]
        rows = permutation_importance(
            model, table.loc[held, columns], y[held], items,
            n_repeats=lc.importance_repeats, rng=rng,
        )  # fmt: skip
        for row in rows:
            row.update(model=spec.name, fold=k)
        averaged = held[:: max(1, held.size // PD_SPAXELS)]
        dependence = partial_dependence(model, table.loc[averaged, columns], grids)
        for row in dependence:
            row.update(model=spec.name, fold=k)
    else:
        dependence = []
    return spec.name, test, pred, rows, dependence


def _importance_table(rows: list[dict], specs: list[ModelSpec]) -> pd.DataFrame:
    columns = ["model", "feature", "kind", "importance", "importance_std", "n_permutations"]
    if not rows:
        return pd.DataFrame(columns=columns)
    frame = pd.DataFrame(rows)
    table = frame.groupby(["model", "feature"], sort=False)["delta"].agg(["mean", "std", "size"])
    table = table.reset_index().rename(
        columns={"mean": "importance", "std": "importance_std", "size": "n_permutations"}
    )
    table["kind"] = np.where(table["feature"].str.contains("+", regex=False), "group", "feature")
    order = {s.name: i for i, s in enumerate(specs)}
    table = table.sort_values(
        ["model", "importance"], key=lambda c: c.map(order) if c.name == "model" else -c
    )
    return table[columns].reset_index(drop=True)


def _dependence_table(rows: list[dict]) -> pd.DataFrame:
    """Partial dependences averaged over the folds (their spread: ``prediction_std``)."""
    columns = ["model", "feature", "value", "prediction", "prediction_std"]
    if not rows:
        return pd.DataFrame(columns=columns)
    table = (
        pd.DataFrame(rows)
        .groupby(["model", "feature", "value"], sort=False)
        .agg(prediction=("prediction", "mean"), prediction_std=("prediction", "std"))
    )
    return table.reset_index()[columns]


def _galaxy_table(grads: pd.DataFrame, gal: pd.DataFrame, names) -> pd.DataFrame:
    parts = []
    for name in names:
        part = gal.reindex(grads.index)[["fold", "log_mstar", "log_re", "size_offset"]].copy()
        part["n_spaxels"] = grads["n_spaxels"]
        part["grad_obs"] = grads["grad_obs"]
        part["grad_pred"] = grads[f"grad_{name}"]
        part["offset"] = part["grad_obs"] - part["grad_pred"]
        part.insert(0, "model", name)
        parts.append(part.reset_index())
    return pd.concat(parts, ignore_index=True)


def _scored_spaxels(final, predictions: dict, specs) -> tuple[dict, bool]:
    """The held-out final spaxels each model is scored on, and whether they are common.

    Normally the spaxels every model predicts (Table 1's common spaxels). A binned
    model predicts nothing in the bins its training fold lacked; on a small survey
    (a few dozen galaxies) every held-out galaxy can fall in such bins, so that no
    spaxel is common. The learned models (which predict everywhere) are then scored
    on the spaxels they all predict, and each binned model on those of them it
    predicts (none: NaN scores); the rows are then not comparable (``common_spaxels``
    False).
    """
    names = [s.name for s in specs]
    common = final & np.all([np.isfinite(predictions[n]) for n in names], axis=0)
    if common.any():
        return dict.fromkeys(names, common), True
    learned = [s.name for s in specs if s.kind == "learned"]
    common = final & np.all([np.isfinite(predictions[n]) for n in learned], axis=0)
    return {n: common & np.isfinite(predictions[n]) for n in names}, False


def _model_scores(table, y, y_err, fold, predictions, masks, config) -> tuple[dict, dict]:
    """Spaxel scores and per-galaxy gradients of every model, on its scored spaxels."""
    scores, grads = {}, {}
    for mask in {id(m): m for m in masks.values()}.values():
        names = [n for n, m in masks.items() if m is mask]
        if not mask.any():
            continue
        frame = spaxel_scores(y, y_err, {n: predictions[n] for n in names}, fold, mask)
        scores.update({n: frame.loc[n] for n in names})
        g = held_out_gradients(
            table["plateifu"].to_numpy()[mask], table["r_re"].to_numpy()[mask], y[mask],
            {n: predictions[n][mask] for n in names}, min_spaxels=config.selection.min_spaxels,
        )  # fmt: skip
        grads.update({n: g[["n_spaxels", "grad_obs", f"grad_{n}"]] for n in names})
    return scores, grads


def _score_table(table, y, y_err, fold, final, predictions, specs, gal, config):
    """scores.csv and the per-galaxy gradients (on the spaxels every model predicts)."""
    masks, common = _scored_spaxels(final, predictions, specs)
    scores, grads = _model_scores(table, y, y_err, fold, predictions, masks, config)
    blank = pd.Series(np.nan, index=next(iter(scores.values())).index)
    rows, parts = [], []
    for spec in specs:
        if spec.name in grads:
            parts.append(_galaxy_table(grads[spec.name], gal, [spec.name]))
            g = parts[-1]
        else:
            g = pd.DataFrame({"offset": [], "size_offset": []})
        score = scores.get(spec.name, blank)
        rows.append({
            "model": spec.name, "kind": spec.kind, "features": ";".join(spec.features),
            "n_spaxels": int(masks[spec.name].sum()), "n_galaxies": len(g),
            "folds": config.learn.folds, "common_spaxels": common,
            "coverage": float(np.isfinite(predictions[spec.name][final]).mean()),
            **score.drop("n_spaxels").to_dict(),
            **offset_statistics(g["offset"].to_numpy(), g["size_offset"].to_numpy()),
        })  # fmt: skip
    return pd.DataFrame(rows), pd.concat(parts, ignore_index=True)


def _learn_calibrator(table, key, config: RunConfig, out: Path, workers: int) -> dict:
    start = time.perf_counter()
    cal = get_calibrator(key)
    oh, err = cal.oh_column, cal.err_column
    y, y_err = table[oh].to_numpy(dtype=float), table[err].to_numpy(dtype=float)
    final = table["final"].to_numpy(dtype=bool)
    if not final.any():
        raise ValueError(f"{out.parent.parent}: the {key} analysis has no final-sample spaxel")
    gal = _fold_galaxies(table, config)
    fold = spaxel_folds(table["plateifu"], gal["fold"])
    with_potential = bool(np.isfinite(table["v_esc"].to_numpy(dtype=float)).any())
    specs = model_specs(with_potential=with_potential)
    features = [f for f in POTENTIAL if with_potential or f != "v_esc"]
    groups = feature_groups(
        table, features, threshold=config.learn.group_threshold, seed=config.learn.seed
    )
    grids = feature_grids(table, features)
    tasks = [(i, spec, k) for k in range(config.learn.folds) for i, spec in enumerate(specs)]

    def fit(task):
        # OpenMP's thread count is per thread: the limit set below in this (the calling)
        # thread does not reach the pool's threads, whose learners would otherwise each
        # start one OpenMP thread per core (measured: 12 times the CPU time on 2 busy cores)
        with threadpool_limits(limits=1, user_api="openmp"):
            return _fit_fold(task, table=table, y=y, y_err=y_err, fold=fold, final=final,
                             groups=groups, grids=grids, config=config)  # fmt: skip

    predictions = {s.name: np.full(len(table), np.nan) for s in specs}
    importance_rows, dependence_rows = [], []
    with threadpool_limits(limits=1), ThreadPoolExecutor(max_workers=workers) as pool:
        for name, test, pred, rows, dependence in pool.map(fit, tasks):
            predictions[name][test] = pred
            importance_rows.extend(rows)
            dependence_rows.extend(dependence)
    scores, galaxies = _score_table(table, y, y_err, fold, final, predictions, specs, gal,
                                    config)  # fmt: skip
    importance = _importance_table(importance_rows, specs)

    out.mkdir(parents=True, exist_ok=True)
    write_csv_atomic(out / "scores.csv", scores)
    write_csv_atomic(out / "importance.csv", importance)
    write_parquet_atomic(out / "galaxies.parquet", galaxies)
    write_csv_atomic(out / "folds.csv", gal.reset_index())
    write_csv_atomic(out / "partial_dependence.csv", _dependence_table(dependence_rows))
    summary = {
        "calibrator": key,
        "seed": config.learn.seed,
        "folds": config.learn.folds,
        "fold_galaxies": gal["fold"].value_counts().sort_index().tolist(),
        "fold_spaxels": np.bincount(fold, minlength=config.learn.folds).tolist(),
        "split": "galaxies (every spaxel of a galaxy in one fold), stratified in mass-size",
        "feature_groups": [group_name(g) for g in groups],
        "escape_velocity": with_potential,
        "weighting": config.learn.weighting,
        "learn": config.to_dict()["learn"],
        "models": config.to_dict()["models"],
        "workers": workers,
        "versions": {**package_versions(), **_learner_versions()},
        "elapsed_s": round(time.perf_counter() - start, 3),
        "scores": scores.to_dict(orient="records"),
    }
    write_json_atomic(out / "summary.json", summary)
    return summary


def _learner_versions() -> dict[str, str]:
    import sklearn

    return {"scikit-learn": sklearn.__version__}


def learn_run(
    run_dir: str | PathLike[str],
    *,
    calibrators: tuple[str, ...] | None = None,
    config: RunConfig | None = None,
    workers: int | None = 1,
) -> dict[str, dict]:
    """Score the paper's and the learned models on held-out galaxies; write ``RUN/learn/``.

    Parameters
    ----------
    run_dir : str or path-like
        A run analysed by ``metgrad analyse`` for each of ``calibrators``.
    calibrators : tuple of str, optional
        Calibrator keys (:data:`metgrad.calibration.CALIBRATORS`); default: every
        calibrator the run has an analysis of.
    config : RunConfig, optional
        Options (``[learn]``, ``[models]``, ``[selection] min_spaxels``); default:
        the configuration the analysis recorded, else the defaults.
    workers : int or None, optional
        Threads fitting (model, fold) pairs at once (None or 0: one per CPU).
        Results do not depend on it.

    Returns
    -------
    dict
        Calibrator -> its ``summary.json`` content.
    """
    run_dir = Path(run_dir)
    if calibrators is None:
        calibrators = tuple(analysed_calibrators(run_dir))
        if not calibrators:
            raise FileNotFoundError(f"{run_dir}: no analysis found (run `metgrad analyse`)")
    calibrators = tuple(get_calibrator(c).key for c in calibrators)
    if workers is None or workers == 0:
        workers = os.cpu_count() or 1
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 0:
        raise ValueError(f"workers must be a non-negative integer, got {workers!r}")
    if config is None:
        config = recorded_config(run_dir)
    summaries = {}
    for key in calibrators:
        table = learn_table(run_dir, key)
        out = RunLayout(run_dir).learn_dir(key)
        summaries[key] = _learn_calibrator(table, key, config, out, workers)
    return summaries


def recorded_config(run_dir: Path) -> RunConfig:
    """The configuration the analysis (else ingest) recorded, or the defaults."""
    layout = RunLayout(run_dir)
    for path in (layout.analysis_manifest, layout.manifest):
        if path.is_file():
            data = json.loads(path.read_text()).get("config", {})
            return config_from_dict(
                {k: v for k, v in data.items() if k not in ("inputs", "output")}
            )
    return RunConfig()

"""The analysis of a run, step by step in the paper's order: :func:`analyse_run`.

For each calibrator (the reference first, Appendix B):

1. :func:`~.sample.select_sample` (§2.2)
2. :func:`~.observed.measure_observed_gradients` (§2.3)
3. :func:`~.fit_models.fit_model_sets` (§3, Appendix A)
4. :func:`~.metrics.model_tables` (Tables 1 and A1)
5. :func:`~.final_sample.select_final_sample` (§3.3)
6. :func:`~.final_gradients.measure_final_gradients` (§4.1, with §2.3's azimuthal check)
7. :func:`~.relations.relation_tables` (Figs 2-9; on a thread of its own, beside step 6)
8. :func:`~.massize_plane.massize_plane` (§4.2)
9. :func:`~.summary.summarise` and :func:`~.write.write_result`

The reference calibrator goes first; the others take its final sample and, when
there are several, are analysed two at a time (:func:`_calibrator_lanes`). Then,
once for the run, :func:`~.compare.compare_calibrators` (Appendix B for
every calibrator: gradient differences, Table 1, the paper's conclusions).

Every step takes the previous steps' frozen results and returns its own; only
the last writes files. Random draws come from the configured seed and each
galaxy's plate-ifu (:func:`metgrad.gradients.galaxy_rng`), so the results do
not depend on ``workers``, the threads of the one pool that every step uses.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import time
from collections.abc import Callable
from os import PathLike

import pandas as pd

from .. import calibration
from ..atomic import write_csv_atomic, write_json_atomic, write_parquet_atomic
from ..config import RunConfig, config_from_dict, spaxel_level_differences
from ..layout import RunLayout
from ..parallel import SerialPool, resolve_workers, thread_pool
from ..provenance import config_hash, package_versions
from ..trends import ColumnOrders
from .compare import compare_calibrators
from .final_gradients import measure_final_gradients
from .final_sample import select_final_sample
from .fit_models import fit_model_sets
from .load import calibrators_in_run, load_selected_spaxels
from .massize_plane import massize_plane
from .metrics import model_tables
from .observed import measure_observed_gradients
from .relations import relation_tables
from .result import CalibratorResult
from .sample import RepeatObservations, repeat_observations, select_sample
from .summary import summarise
from .write import write_result

__all__ = ["analyse_calibrator", "analyse_run"]


def analyse_calibrator(
    spaxels: pd.DataFrame,
    calibrator: calibration.Calibrator,
    config: RunConfig,
    *,
    repeats: RepeatObservations,
    reference_rows: pd.Index | None = None,
    orders: ColumnOrders | None = None,
    pool,
    say: Callable[[str], None] | None = None,
) -> CalibratorResult:
    """Steps 1-8 for one calibrator (see the module docstring).

    Parameters
    ----------
    spaxels : pandas.DataFrame
        Selected spaxels of the run (:func:`~.load.load_selected_spaxels`).
    calibrator : Calibrator
    config : RunConfig
    repeats : RepeatObservations
        The observation kept per galaxy.
    reference_rows : pandas.Index, optional
        The reference calibrator's final rows, for the other calibrators.
    orders : ColumnOrders, optional
        Sort orders of ``spaxels``' columns, shared by the calibrators' rank correlations.
    pool : executor with ``map`` and ``submit``
        The analysis's thread pool.
    say : callable, optional
        Called with one line after each step (its own wall time).
    """
    clock = _StepClock(calibrator.key, say)
    others = [c for k, c in calibration.CALIBRATORS.items() if k != calibrator.key]
    sample = select_sample(spaxels, calibrator, config, observations=repeats.kept,
                           others=others, reference_rows=reference_rows)  # fmt: skip
    clock.done("sample", sample.steps)
    observed = measure_observed_gradients(sample, config, pool=pool)
    sample = observed.sample
    clock.done("observed gradients", sample.steps)
    s, oh_col = sample.spaxels, calibrator.oh_column
    fitted = fit_model_sets(s, oh_col, config, pool=pool)
    tables = model_tables(s[oh_col].to_numpy(), s[calibrator.err_column].to_numpy(), fitted)
    not_fitted = f" (not fitted: {', '.join(fitted.failed)})" if fitted.failed else ""
    clock.done(f"{len(fitted.models)} model sets fitted{not_fitted}")
    final = select_final_sample(sample, fitted, config)
    relations = pool.submit(relation_tables, s, oh_col, fitted, config, orders=orders)
    gradients = measure_final_gradients(
        s, final, observed.gradients, fitted=fitted, calibrator=calibrator,
        from_reference=sample.from_reference, config=config, pool=pool,
    )  # fmt: skip
    clock.done("final and model gradients", gradients.final.steps)
    plane = massize_plane(gradients.galaxies, gradients.spaxels, oh_col, config, pool=pool)
    result = CalibratorResult(calibrator, s, fitted, tables, gradients, relations.result(),
                              plane, repeats)  # fmt: skip
    clock.done("mass-size plane, correlations and trends")
    return result


class _StepClock:
    """Says each step's own wall time (and the sample left), if asked to."""

    def __init__(self, key: str, say: Callable[[str], None] | None):
        self.key, self.say = key, say
        self.last = time.perf_counter()

    def done(self, step: str, steps=None) -> None:
        now = time.perf_counter()
        if self.say is not None:
            left = ""
            if steps is not None and steps.rows:
                row = steps.rows[-1]
                left = f": {row['n_galaxies']} galaxies, {row['n_spaxels']} spaxels"
            self.say(f"      {self.key}: {step}{left} ({now - self.last:.1f} s)")
        self.last = now


def analyse_run(
    run_dir: str | PathLike[str],
    *,
    calibrators: tuple[str, ...] | None = None,
    config: RunConfig | None = None,
    workers: int | None = 1,
    say: Callable[[str], None] | None = None,
) -> dict[str, dict[str, object]]:
    """Analyse an ingested run for each calibrator; write ``RUN/analysis/``.

    Parameters
    ----------
    run_dir : str or path-like
        Folder written by ``metgrad ingest``.
    calibrators : tuple of str or "all", optional
        Keys of :data:`metgrad.calibration.CALIBRATORS`; ``"all"`` for every one
        the run's spaxel tables hold; default ``[analysis] calibrators`` (the
        paper's M13 and PG16). The reference calibrator (``[analysis]
        reference_calibrator``, M13) is always analysed, first: the others take
        its final sample (Appendix B).
    config : RunConfig, optional
        Selection, gradient and model options (default: the run's own
        configuration from ``manifest.json`` when present, else the paper's).
    workers : int or None, optional
        Threads of the analysis (None or 0: one per CPU). Results do not depend on it.
    say : callable, optional
        Progress: called with one line after each step of each calibrator.

    Returns
    -------
    dict
        Calibrator key -> its ``summary.json`` content.
    """
    layout = RunLayout(run_dir)
    workers = resolve_workers(workers)
    config = _checked_config(layout, config)
    start = time.perf_counter()
    keys = _calibrator_keys(calibrators, config, calibrators_in_run(layout), layout)
    spaxels, galaxies = load_selected_spaxels(
        layout.root, calibrators=keys, oh_range=config.analysis.oh_range
    )
    reference = config.analysis.reference_calibrator
    repeats = repeat_observations(galaxies, rule=config.analysis.repeat_rule)
    provenance = {"config_hash": config_hash(config), "versions": package_versions()}
    orders = ColumnOrders(spaxels)
    done: dict[str, tuple] = {}

    def analyse_one(key: str, pool, reference_rows=None) -> pd.Index:
        result = analyse_calibrator(
            spaxels, calibration.get(key), config, repeats=repeats,
            reference_rows=reference_rows, orders=orders, pool=pool, say=say,
        )  # fmt: skip
        summary = summarise(result, config, provenance)
        write_result(layout.analysis(key).dir, result, summary)
        done[key] = (summary, {
            "calibrator": result.calibrator,
            "galaxies": result.plane.galaxies,
            "table1": result.tables.table1.reset_index(),
        })  # fmt: skip
        return result.gradients.final.rows  # the tables go when this returns

    others = [k for k in keys if k != reference]
    with thread_pool(workers) as pool:
        rows = analyse_one(reference, pool)
        with _calibrator_lanes(pool, len(others)) as lanes:
            for _ in lanes.map(lambda key: analyse_one(key, pool, rows), others):
                pass
    summaries = {k: done[k][0] for k in keys}
    compared = {k: done[k][1] for k in keys}
    _write_comparison(layout, compare_calibrators(compared))
    manifest = {
        "stage": "analyse",
        "calibrators": list(keys),
        "config": config.to_dict(),
        **provenance,
        "elapsed_s": round(time.perf_counter() - start, 3),
    }
    write_json_atomic(layout.analysis_manifest, manifest)
    return summaries


def _calibrator_lanes(pool, n_others: int):
    """Threads that take the calibrators after the reference, two at a time when there are
    several and the pool has several threads.

    Each calibrator has serial steps (sample cuts, metrics, tables, writing) between
    the pool's parallel ones; with two calibrators in progress, one's serial steps
    overlap the other's work on the pool. The fitting itself still runs on the one
    pool (a lane thread only waits on it, and no pool thread waits on a lane), so
    the cores are not oversubscribed beyond those serial steps. Memory: two
    calibrators' tables at a time instead of one. With one other calibrator (the
    paper's two) or one thread, the calibrators are simply taken in turn.
    """
    lanes = min(2, int(getattr(pool, "workers", 1)), n_others)
    return SerialPool() if lanes <= 1 else cf.ThreadPoolExecutor(
        max_workers=lanes, thread_name_prefix="metgrad-calibrator"
    )


def _write_comparison(layout: RunLayout, comparison) -> None:
    """The calibrators compared (step 10), beside their folders."""
    write_csv_atomic(layout.calibrator_comparison, comparison.summary)
    write_csv_atomic(layout.table1_by_calibrator, comparison.table1)
    write_parquet_atomic(layout.gradients_by_calibrator, comparison.gradients.reset_index())


def _calibrator_keys(calibrators, config: RunConfig, present, layout: RunLayout) -> tuple:
    """The calibrators to analyse, the reference first; each must be in the run's tables.

    ``None`` takes ``[analysis] calibrators``; ``"all"`` (or ``("all",)``) every
    calibrator whose metallicities the spaxel tables hold.
    """
    wanted = config.analysis.calibrators if calibrators is None else calibrators
    wanted = (wanted,) if isinstance(wanted, str) else tuple(wanted)
    keys = tuple(present) if wanted == ("all",) else tuple(calibration.get(k).key for k in wanted)
    reference = config.analysis.reference_calibrator
    keys = tuple(calibration.ordered((reference, *keys), reference=reference))
    missing = [k for k in keys if k not in present]
    if missing:
        raise ValueError(
            f"{layout.spaxel_dir}: no metallicities of {', '.join(missing)} in the spaxel tables "
            f"(their lines are missing from the MAPS files, or the run predates them: "
            f"re-ingest); present: {', '.join(present) or 'none'}"
        )
    return keys


def _checked_config(layout: RunLayout, config: RunConfig | None) -> RunConfig:
    """The configuration to analyse with; refuse spaxel-level options the run was not
    ingested with (they decided the stored spaxel tables: changing them needs a re-ingest)."""
    recorded = _run_config(layout)
    if config is None:
        return recorded
    if layout.manifest.is_file():
        changed = spaxel_level_differences(recorded, config)
        if changed:
            raise ValueError(
                f"{layout.manifest}: the run was ingested with other spaxel-level options "
                f"({'; '.join(changed)}); re-ingest with them (`metgrad ingest`) to apply them"
            )
    return config


def _run_config(layout: RunLayout) -> RunConfig:
    """The configuration recorded by ingest (so cuts stay consistent), or the defaults."""
    if not layout.manifest.is_file():
        return RunConfig()
    data = json.loads(layout.manifest.read_text())["config"]
    data = {k: v for k, v in data.items() if k not in ("inputs", "output")}
    return config_from_dict(data)



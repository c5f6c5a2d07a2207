"""Step 1 (§2.2): the analysis sample of one calibrator, counting every step.

The steps follow Boardman et al. (2022, §2.2-2.3): spaxels passing every spaxel
cut (ingest); one observation per galaxy; a finite metallicity and error from
the calibrator; galaxies with b/a >= 0.6 and at least 20 selected spaxels.
(The observed-gradient error cut is step 2, the mass and model cuts step 5.)
:class:`SampleSteps` records the spaxel and galaxy counts after each step, the
paper's 871346 -> 861134 spaxels and 2123 galaxies.

A calibrator other than the reference (Appendix B: PG16 after M13) takes the
reference's final galaxies and spaxels, unless ``[analysis] recut_secondary``, or
``[analysis] oh_range = "own"`` (each calibrator's own validity range instead of
the M13 range cut: its spaxels then differ from the reference's, so it takes the
reference's final galaxies and is cut again).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .. import columns as C
from ..calibration import Calibrator
from ..config import RunConfig
from .load import LOG_COLUMNS

__all__ = [
    "RepeatObservations",
    "Sample",
    "SampleSteps",
    "galaxies_with_at_least",
    "repeat_observations",
    "select_sample",
]


@dataclass(frozen=True)
class SampleSteps:
    """Counts of spaxels and galaxies after each selection step, in order (immutable)."""

    rows: tuple[dict[str, object], ...] = ()

    def add(self, step: str, description: str, plateifu: pd.Series | np.ndarray) -> SampleSteps:
        """These steps and one more, counted from the plate-ifu of every spaxel left."""
        values = np.asarray(plateifu)
        row = {
            "step": step,
            "description": description,
            "n_spaxels": int(values.size),
            "n_galaxies": int(pd.unique(values).size),
        }
        return SampleSteps((*self.rows, row))

    def table(self) -> pd.DataFrame:
        """The steps as a table (``step``, ``description``, ``n_spaxels``, ``n_galaxies``)."""
        return pd.DataFrame(self.rows, columns=["step", "description", "n_spaxels", "n_galaxies"])

    def count(self, step: str, what: str = "n_galaxies") -> int:
        """Spaxels or galaxies left after a step."""
        return int(next(r[what] for r in self.rows if r["step"] == step))


def galaxies_with_at_least(plateifu, n: int) -> np.ndarray:
    """Boolean per spaxel: its galaxy has at least ``n`` spaxels in ``plateifu``.

    Parameters
    ----------
    plateifu : array_like of str, shape (n_spaxels,)
        Galaxy of each spaxel (any order).
    n : int
        Minimum number of spaxels.
    """
    if not isinstance(plateifu, pd.Series | pd.Index):
        plateifu = np.asarray(plateifu, dtype=object)
    codes, _ = pd.factorize(plateifu)
    return np.bincount(codes)[codes] >= n


@dataclass(frozen=True)
class RepeatObservations:
    """One observation kept per galaxy (MaNGA target), the others recorded.

    Attributes
    ----------
    kept : pandas.Index
        Plate-ifus analysed: one per ``mangaid``.
    table : pandas.DataFrame
        One row per observation of a galaxy observed more than once:
        ``mangaid``, ``plateifu``, ``n_selected``, ``kept`` (bool), ``rule``.
    """

    kept: pd.Index
    table: pd.DataFrame


def repeat_observations(galaxies: pd.DataFrame, *, rule: str) -> RepeatObservations:
    """Keep one plate-ifu per galaxy: DR17 observed some galaxies more than once.

    Parameters
    ----------
    galaxies : pandas.DataFrame
        ``galaxies.parquet`` indexed by plate-ifu, with ``mangaid`` and
        ``n_selected`` (selected spaxels). Without ``mangaid`` every plate-ifu
        is its own galaxy.
    rule : {'most_spaxels', 'first'}
        ``'most_spaxels'``: the observation with the most selected spaxels (the
        best-sampled gradient), ties to the lowest plate-ifu; ``'first'``: the
        lowest plate-ifu.

    Returns
    -------
    RepeatObservations
    """
    columns = ["mangaid", "plateifu", "n_selected", "kept", "rule"]
    if C.MANGAID not in galaxies.columns:
        return RepeatObservations(pd.Index(galaxies.index), pd.DataFrame(columns=columns))
    frame = pd.DataFrame(
        {
            "mangaid": galaxies[C.MANGAID].astype(str).to_numpy(),
            "plateifu": galaxies.index.to_numpy(),
            "n_selected": galaxies["n_selected"].to_numpy(dtype=int)
            if "n_selected" in galaxies.columns
            else np.zeros(len(galaxies), dtype=int),
        }
    )
    by = ["mangaid", "plateifu"] if rule == "first" else ["mangaid", "n_selected", "plateifu"]
    ascending = [True, True] if rule == "first" else [True, False, True]
    ordered = frame.sort_values(by, ascending=ascending)  # plate-ifus are unique: no ties
    first = ~ordered["mangaid"].duplicated()
    ordered["kept"] = first.to_numpy()
    ordered["rule"] = rule
    kept = pd.Index(sorted(ordered.loc[first, "plateifu"]), name="plateifu")
    repeated = ordered["mangaid"].duplicated(keep=False)
    table = ordered[repeated.to_numpy()].sort_values(["mangaid", "plateifu"])[columns]
    return RepeatObservations(kept, table.reset_index(drop=True))


@dataclass(frozen=True)
class Sample:
    """The spaxels of one calibrator's sample before the gradient-error cut.

    Attributes
    ----------
    calibrator : Calibrator
    spaxels : pandas.DataFrame
        The columns the analysis needs (this calibrator's O/H and error, not the
        others'), indexed by row of the loaded spaxel table.
    steps : SampleSteps
        Counts after every step so far.
    from_reference : bool
        True when the spaxels are the reference calibrator's final sample (no
        cut of the later steps is applied again).
    """

    calibrator: Calibrator
    spaxels: pd.DataFrame
    steps: SampleSteps
    from_reference: bool = False


def _sample_columns(spaxels: pd.DataFrame, others) -> list[str]:
    """The loaded columns less the other calibrators' and the linear ones (their logs stay)."""
    drop = {c for o in others for c in (o.oh_column, o.err_column)} | set(LOG_COLUMNS.values())
    return [c for c in spaxels.columns if c not in drop]


def select_sample(
    spaxels: pd.DataFrame,
    calibrator: Calibrator,
    config: RunConfig,
    *,
    observations: pd.Index,
    others=(),
    reference_rows: pd.Index | None = None,
) -> Sample:
    """Apply the galaxy-level cuts of §2.2 to the selected spaxels.

    Parameters
    ----------
    spaxels : pandas.DataFrame
        Selected spaxels of every ingested galaxy (:func:`~.load.load_selected_spaxels`).
    calibrator : Calibrator
        Whose metallicities are analysed.
    config : RunConfig
        ``[selection]`` thresholds, ``[analysis] recut_secondary`` and ``oh_range``.
    observations : pandas.Index
        Plate-ifus kept by :func:`repeat_observations`.
    others : iterable of Calibrator
        The other calibrators, whose columns are left out of the sample.
    reference_rows : pandas.Index, optional
        Rows of the reference calibrator's final sample: given, the sample is
        those rows (Appendix B), re-cut only if ``recut_secondary``.

    Returns
    -------
    Sample
    """
    sel = config.selection
    steps = SampleSteps()
    plateifu = spaxels[C.PLATEIFU]
    own_range = config.analysis.oh_range == "own"
    cuts = "every spaxel cut but the M13 range (own ranges)" if own_range else "every spaxel cut"
    steps = steps.add("spaxel_cuts", f"spaxels passing {cuts} (§2.2)", plateifu)
    keep = plateifu.isin(observations).to_numpy().copy()
    steps = steps.add("one_observation", "one observation per galaxy (mangaid)", plateifu[keep])
    oh, err = spaxels[calibrator.oh_column].to_numpy(), spaxels[calibrator.err_column].to_numpy()
    keep &= np.isfinite(oh) & np.isfinite(err) & (err > 0)
    inside = " (inside its validity range)" if own_range else ""
    steps = steps.add("calibrator", f"finite 12+log(O/H) and error from {calibrator.label}"
                      f"{inside}", plateifu[keep])  # fmt: skip
    from_reference = reference_rows is not None
    if from_reference:
        recut = config.analysis.recut_secondary or own_range
        in_reference = np.zeros(len(spaxels), dtype=bool)
        in_reference[spaxels.index.get_indexer(reference_rows)] = True
        if recut:  # the reference's galaxies, cut again
            in_reference = plateifu.isin(plateifu[in_reference].unique()).to_numpy()
        keep &= in_reference
        what = "galaxies" if recut else "galaxies and spaxels"
        steps = steps.add("reference_sample", f"the reference calibrator's final {what} (App. B)",
                  plateifu[keep])  # fmt: skip
        from_reference = not recut
    if not from_reference:
        keep &= spaxels[C.BA].to_numpy() >= sel.ba_min
        steps = steps.add("axis_ratio", f"galaxies with b/a >= {sel.ba_min}", plateifu[keep])
        keep[keep] = galaxies_with_at_least(plateifu[keep], sel.min_spaxels)
        at_least = f"galaxies with >= {sel.min_spaxels} spaxels"
        steps = steps.add("min_spaxels", at_least, plateifu[keep])
    frame = spaxels.loc[keep, _sample_columns(spaxels, others)]
    if frame.empty:
        raise ValueError(f"{calibrator.key}: no spaxel left after the sample cuts")
    return Sample(calibrator, frame, steps, from_reference)

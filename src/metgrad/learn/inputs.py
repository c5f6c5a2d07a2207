"""The analysis outputs the ``learn`` stage reads, each through one small function.

The analysis writes, per calibrator, ``RUN/analysis/<calibrator>/spaxels.parquet``
(the model-fitting sample with its parameters, O/H, errors and a ``final`` flag;
paths from :class:`~metgrad.layout.RunLayout`). The escape velocity is not among
its columns, so it is taken from the run's selected spaxels
(:func:`metgrad.analysis.load.load_selected_spaxels`): each analysis row is matched
to the selected spaxel of the same galaxy, radius and metallicity (the n-th such
row to the n-th, both tables keeping the ingest order), and every row must match.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..analysis.load import load_selected_spaxels
from ..calibration import get as get_calibrator
from ..layout import RunLayout

__all__ = ["analysed_calibrators", "learn_table"]

#: Columns of the selected spaxels added to the analysis sample.
ADDED_COLUMNS = ("v_esc",)


def analysed_calibrators(run_dir: Path) -> list[str]:
    """Keys of the calibrators the run has an analysis of."""
    return RunLayout(run_dir).analysed_calibrators()


def _analysis_spaxels(run_dir: Path, calibrator: str) -> pd.DataFrame:
    path = RunLayout(run_dir).analysis(calibrator).spaxels
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no analysis for {calibrator} (run `metgrad analyse`)")
    cal = get_calibrator(calibrator)
    table = pd.read_parquet(path)
    needed = ("plateifu", "r_re", "log_mstar", "log_re", cal.oh_column, cal.err_column, "final")
    missing = [c for c in needed if c not in table.columns]
    if missing:
        raise ValueError(f"{path}: columns {missing} missing")
    table = table.drop(columns=[c for c in table.columns if c.startswith(("pred_", "err_"))])
    table["plateifu"] = table["plateifu"].astype(object)
    return table


def _with_selected_columns(table: pd.DataFrame, run_dir: Path, calibrator: str) -> pd.DataFrame:
    """``table`` with :data:`ADDED_COLUMNS` of the matching selected spaxels."""
    oh = get_calibrator(calibrator).oh_column
    selected, _ = load_selected_spaxels(run_dir, calibrators=(calibrator,))
    keys = ["plateifu", "r_re", oh]
    selected = selected.loc[selected["plateifu"].isin(pd.unique(table["plateifu"])),
                            [*keys, *ADDED_COLUMNS]]  # fmt: skip
    selected["_nth"] = selected.groupby(keys, sort=False).cumcount()
    table["_nth"] = table.groupby(keys, sort=False).cumcount()
    merged = table.merge(selected, on=[*keys, "_nth"], how="left", indicator=True, sort=False)
    if len(merged) != len(table) or (merged["_merge"] != "both").any():
        raise ValueError(
            f"{RunLayout(run_dir).analysis(calibrator).dir}: the analysis sample does not "
            "match the run's spaxel tables (re-ingested since?); run `metgrad analyse` again"
        )
    return merged.drop(columns=["_nth", "_merge"])


def learn_table(run_dir: Path, calibrator: str) -> pd.DataFrame:
    """The analysis sample of one calibrator with every parameter ``learn`` uses.

    Parameters
    ----------
    run_dir : Path
        An analysed run.
    calibrator : str
        A calibrator key (:data:`metgrad.calibration.CALIBRATORS`).

    Returns
    -------
    pandas.DataFrame
        The analysis ``spaxels.parquet`` (model predictions dropped) plus ``v_esc``
        (km/s, NaN for runs ingested before it existed) and ``log_phi_star``
        (log10 of M*/R_e in Msun/kpc), in the analysis order (galaxies contiguous).

    Raises
    ------
    FileNotFoundError
        If the run has no analysis for the calibrator.
    ValueError
        If the calibrator is unknown, or the analysis sample does not match the
        run's selected spaxels (the run was re-ingested after the analysis).
    """
    run_dir = Path(run_dir)
    table = _with_selected_columns(_analysis_spaxels(run_dir, calibrator), run_dir, calibrator)
    table["log_phi_star"] = table["log_mstar"] - table["log_re"]
    for col in ADDED_COLUMNS:
        table[col] = table[col].to_numpy(dtype=float)
    return table

"""The analysis outputs the ``learn`` stage reads, each through one small function.

The analysis writes, per calibrator, ``RUN/analysis/<calibrator>/spaxels.parquet``
(the model-fitting sample with its parameters, O/H, errors and a ``final`` flag).
The escape velocity is not among its columns, so it is taken from the run's
selected spaxels (:func:`metgrad.sample.load_selected_spaxels`), whose rows the
analysis sample keeps in order; the match is checked spaxel by spaxel. A
later move of the analysis files changes :func:`analysis_dir` only.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..sample import load_selected_spaxels

__all__ = ["CALIBRATOR_COLUMNS", "analysis_dir", "learn_table"]

#: Calibrator key -> (metallicity column, error column) of the analysis spaxel table.
CALIBRATOR_COLUMNS: dict[str, tuple[str, str]] = {
    "m13": ("oh_m13", "oh_m13_err"),
    "pg16": ("oh_pg16", "oh_pg16_err"),
}
#: Columns of the selected spaxels added to the analysis sample.
ADDED_COLUMNS = ("v_esc",)


def analysis_dir(run_dir: Path, calibrator: str) -> Path:
    """Folder of one calibrator's analysis outputs."""
    return Path(run_dir) / "analysis" / calibrator


def _analysis_spaxels(run_dir: Path, calibrator: str) -> pd.DataFrame:
    path = analysis_dir(run_dir, calibrator) / "spaxels.parquet"
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no analysis for {calibrator} (run `metgrad analyse`)")
    oh, err = CALIBRATOR_COLUMNS[calibrator]
    table = pd.read_parquet(path)
    missing = [c for c in ("plateifu", "r_re", "log_mstar", "log_re", oh, err, "final")
               if c not in table.columns]  # fmt: skip
    if missing:
        raise ValueError(f"{path}: columns {missing} missing")
    return table.drop(columns=[c for c in table.columns if c.startswith(("pred_", "err_"))])


def learn_table(run_dir: Path, calibrator: str) -> pd.DataFrame:
    """The analysis sample of one calibrator with every parameter ``learn`` uses.

    Parameters
    ----------
    run_dir : Path
        An analysed run.
    calibrator : str
        Key of :data:`CALIBRATOR_COLUMNS`.

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
        If the analysis sample does not match the run's selected spaxels (the
        run was re-ingested after the analysis).
    """
    if calibrator not in CALIBRATOR_COLUMNS:
        raise ValueError(
            f"unknown calibrator {calibrator!r}; choose from {list(CALIBRATOR_COLUMNS)}"
        )
    table = _analysis_spaxels(run_dir, calibrator)
    oh, err = CALIBRATOR_COLUMNS[calibrator]
    selected, _ = load_selected_spaxels(run_dir)
    same_galaxies = selected["plateifu"].isin(pd.unique(table["plateifu"])).to_numpy()
    usable = np.isfinite(selected[oh].to_numpy()) & (selected[err].to_numpy() > 0)
    rows = selected.loc[same_galaxies & usable, ["plateifu", "r_re", *ADDED_COLUMNS]]
    if len(rows) != len(table) or not (
        np.array_equal(rows["plateifu"].to_numpy(), table["plateifu"].to_numpy())
        and np.array_equal(rows["r_re"].to_numpy(), table["r_re"].to_numpy())
    ):
        raise ValueError(
            f"{analysis_dir(run_dir, calibrator)}: the analysis sample does not match the "
            "run's spaxel tables (re-ingested since?); run `metgrad analyse` again"
        )
    for col in ADDED_COLUMNS:
        table[col] = rows[col].to_numpy(dtype=float)
    table["log_phi_star"] = table["log_mstar"] - table["log_re"]
    return table

"""The last step: write one calibrator's results, whole or not at all.

Every table goes into a temporary folder beside ``RUN/analysis/<calibrator>/``,
which then replaces the old folder by renames: an interrupted analysis leaves
the previous results (or none), never a folder mixing two analyses. The file
names are those of :class:`metgrad.layout.AnalysisLayout`.
"""

from __future__ import annotations

import json
import shutil
import uuid
from pathlib import Path

import numpy as np
import pyarrow as pa

from .. import columns as C
from ..atomic import write_arrow_atomic, write_csv_atomic, write_json_atomic, write_parquet_atomic
from ..layout import AnalysisLayout
from .result import CalibratorResult

__all__ = ["SPAXEL_OUTPUT_COLUMNS", "replace_folder", "write_result"]

#: Columns of ``spaxels.parquet`` besides the calibrator's O/H, the predictions and ``final``.
SPAXEL_OUTPUT_COLUMNS = (
    C.PLATEIFU, C.R_RE, C.LOG_MSTAR, C.LOG_RE, C.LOG_SIGMA_STAR, C.LOG_SIGMA_SFR, C.LOG_SSFR,
    C.LOG_EW_HA, C.D4000, C.LOG_AGE_LW, C.A_V,
)  # fmt: skip


def replace_folder(target: Path, fill) -> None:
    """Fill a new folder with ``fill(tmp_folder)`` and move it into place as ``target``.

    The old ``target`` (if any) is moved aside first and removed last; a failure
    in ``fill`` removes the temporary folder and leaves ``target`` untouched.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    token = uuid.uuid4().hex[:8]
    tmp = target.parent / f".{target.name}.tmp-{token}"
    old = target.parent / f".{target.name}.old-{token}"
    tmp.mkdir()
    try:
        fill(tmp)
        if target.exists():
            target.rename(old)
        tmp.rename(target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _spaxel_table(result: CalibratorResult) -> pa.Table:
    """``spaxels.parquet``: the sample's columns, every prediction, and ``final``.

    Built as an Arrow table from the arrays (no joined DataFrame: at the paper's
    scale that copy would cost some 200 MB at the peak).
    """
    cal = result.calibrator
    s = result.spaxels
    arrays = {c: s[c].to_numpy() for c in (*SPAXEL_OUTPUT_COLUMNS, cal.oh_column,
                                          cal.err_column)}  # fmt: skip
    arrays[C.PLATEIFU] = pa.array(arrays[C.PLATEIFU], type=pa.string())
    for column in result.fitted.predictions.columns:
        arrays[column] = result.fitted.predictions[column].to_numpy()
    final = np.zeros(len(s), dtype=bool)
    final[s.index.get_indexer(result.gradients.final.rows)] = True
    arrays[C.FINAL] = final
    return pa.table(arrays)


def _write_tables(out: AnalysisLayout, result: CalibratorResult, summary: dict, meta) -> None:
    write_csv_atomic(out.sample_steps, result.steps)
    gal = result.plane.galaxies.reset_index()
    write_parquet_atomic(out.galaxies, gal, metadata=meta)
    write_csv_atomic(out.galaxies_csv, gal)
    write_arrow_atomic(out.spaxels, _spaxel_table(result), metadata=meta)
    t = result.tables
    for path, table in ((out.model_metrics, t.all_models), (out.table1, t.table1),
                        (out.tableA1, t.tableA1)):  # fmt: skip
        write_csv_atomic(path, table.reset_index())
    rel = result.relations
    write_csv_atomic(out.correlations, rel.correlations)
    for name, table in rel.trends.items():
        write_csv_atomic(out.trend(name), table)
    for name, table in rel.maps.items():
        write_csv_atomic(out.map(name), table)
    write_csv_atomic(out.massize_relation, result.plane.relation)
    write_csv_atomic(out.profiles, result.plane.profiles)
    write_csv_atomic(out.repeats, result.repeats.table)
    write_json_atomic(out.summary, summary)


def write_result(folder: Path, result: CalibratorResult, summary: dict) -> None:
    """Write every table of one calibrator into ``folder`` (replaced whole).

    Parameters
    ----------
    folder : Path
        ``RUN/analysis/<calibrator>/``.
    result : CalibratorResult
    summary : dict
        From :func:`~.summary.summarise`; its ``config_hash`` and ``versions``
        also go into the Parquet files' metadata.
    """
    meta = {
        "metgrad.calibrator": result.calibrator.key,
        "metgrad.seed": str(summary["seed"]),
        "metgrad.config_hash": summary["config_hash"],
        "metgrad.versions": json.dumps(summary["versions"], sort_keys=True),
    }
    replace_folder(folder, lambda tmp: _write_tables(AnalysisLayout(tmp), result, summary, meta))

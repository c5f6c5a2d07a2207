"""One galaxy's files -> its spaxel table: the path shared by ``ingest`` and ``metgrad galaxy``.

:func:`read_galaxy_files` reads a DAP MAPS file and (optionally) its Pipe3D
cube and checks that they belong together and to the galaxy named; then
:func:`galaxy_spaxels` derives every spaxel quantity and cut
(:func:`metgrad.spaxels.spaxel_table`). A survey run and the one-galaxy
quick look therefore make the same table from the same files.
"""

from __future__ import annotations

from dataclasses import dataclass
from os import PathLike

import numpy as np
import pandas as pd

from .config import OH_RANGES, PhysicsConfig, SelectionConfig
from .gradients import Gradient, galaxy_rng, observed_gradient
from .io.errors import InputFileError
from .io.maps import DapMaps, read_dap_maps
from .io.pipe3d import Pipe3DMaps, check_cube_identity, read_pipe3d
from .spaxels import GalaxyInfo, SpaxelTable, spaxel_table

__all__ = [
    "GalaxyFiles",
    "calibrator_rows",
    "galaxy_gradient",
    "galaxy_spaxels",
    "read_galaxy_files",
]


@dataclass(frozen=True)
class GalaxyFiles:
    """The maps of one galaxy, read and checked.

    Attributes
    ----------
    dap : DapMaps
    pipe3d : Pipe3DMaps or None
        None for a DAP-only table.
    """

    dap: DapMaps
    pipe3d: Pipe3DMaps | None

    @property
    def plateifu(self) -> str:
        """Plate-ifu from the MAPS header."""
        return self.dap.plateifu


def read_galaxy_files(
    maps_path: str | PathLike[str],
    pipe3d_path: str | PathLike[str] | None = None,
    *,
    plateifu: str | None = None,
) -> GalaxyFiles:
    """Read one galaxy's MAPS file and Pipe3D cube.

    Parameters
    ----------
    maps_path : path-like
        DAP MAPS file.
    pipe3d_path : path-like, optional
        Its Pipe3D cube.
    plateifu : str, optional
        The galaxy these files must belong to (ingest knows it from the file
        name and the catalogues).

    Raises
    ------
    InputFileError
        An unreadable file, a MAPS header naming another galaxy, or a cube
        whose header names another galaxy (or no galaxy at all).
    """
    dap = read_dap_maps(maps_path)  # first: its errors say what is wrong
    if plateifu is not None and dap.plateifu != plateifu:
        raise InputFileError(
            maps_path, f"PLATEIFU {dap.plateifu} in the header, {plateifu} in the name"
        )
    pipe3d = read_pipe3d(pipe3d_path) if pipe3d_path is not None else None
    if pipe3d is not None:  # the cube of another galaxy is refused (issue #18)
        check_cube_identity(pipe3d, dap.plateifu, maps_path=maps_path)
    return GalaxyFiles(dap, pipe3d)


def galaxy_spaxels(
    files: GalaxyFiles,
    info: GalaxyInfo,
    *,
    selection: SelectionConfig | None = None,
    physics: PhysicsConfig | None = None,
) -> SpaxelTable:
    """Every covered spaxel of one galaxy with its quantities and cuts.

    Raises
    ------
    InputFileError
        If the maps cover no spaxel, or the cube does not match the MAPS file.
    """
    st = spaxel_table(files.dap, info, files.pipe3d, selection=selection,
                      physics_config=physics)  # fmt: skip
    if not st.n_spaxels:
        raise InputFileError(files.dap.path, "no covered spaxels (every Halpha spaxel NOCOV)")
    return st


def calibrator_rows(table: pd.DataFrame, oh_column: str, *, oh_range: str = "m13") -> np.ndarray:
    """Which spaxels of a galaxy a calibrator's gradient is fitted on (boolean mask).

    Parameters
    ----------
    table : pandas.DataFrame
        The galaxy's spaxels and cuts (:attr:`metgrad.spaxels.SpaxelTable.table`).
    oh_column : str
        The calibrator's 12+log(O/H) column (NaN where it gives no value).
    oh_range : {'m13', 'own'}, optional
        ``[analysis] oh_range``: ``'m13'`` (the paper) keeps the spaxels that pass every
        cut, the M13 O3N2 range included; ``'own'`` also those whose only failed cut is
        the M13 range, so that each calibrator is limited by its own validity range
        (where it returns a value), as the survey analysis does.

    Returns
    -------
    numpy.ndarray of bool
        Rows with a finite metallicity from the calibrator that pass those cuts.
    """
    if oh_range not in OH_RANGES:
        raise ValueError(f"oh_range = {oh_range!r}; choose from {', '.join(OH_RANGES)}")
    rows = table["selected"].to_numpy(dtype=bool)
    if oh_range == "own":  # reject_reason names the first failed cut; the M13 range is last
        rows = rows | (table["reject_reason"] == "oh_m13").to_numpy()
    return rows & np.isfinite(table[oh_column].to_numpy(dtype=float))


def galaxy_gradient(
    st: SpaxelTable, oh_column: str, *, stream: str, seed: int, n_bootstrap: int,
    min_spaxels: int, oh_range: str = "m13",
) -> tuple[int, Gradient | None]:  # fmt: skip
    """The observed gradient of one calibrator over a galaxy's selected spaxels.

    The same fit as the survey analysis (exact LAD, residual bootstrap, the
    galaxy's own random stream) on the rows of :func:`calibrator_rows` (``oh_range``
    as there). Returns the number of spaxels and the gradient, or None with fewer
    than ``min_spaxels``.
    """
    t = st.table
    sample = t[calibrator_rows(t, oh_column, oh_range=oh_range)]
    if len(sample) < min_spaxels:
        return len(sample), None
    plateifu = str(t["plateifu"].iloc[0])
    g = observed_gradient(
        sample["r_re"].to_numpy(), sample[oh_column].to_numpy(), n_bootstrap=n_bootstrap,
        rng=galaxy_rng(seed, plateifu, stream),
    )  # fmt: skip
    return len(sample), g



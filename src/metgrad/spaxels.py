"""One galaxy's DAP MAPS (and Pipe3D cube) -> a table of every covered spaxel.

Each row is one spaxel with the MaNGA footprint (``NOCOV`` clear in the
Halpha map). Columns hold the measured and derived quantities of
Boardman et al. (2022, §2.1-2.2) and one boolean column per selection cut
(``ok_*``, True = passes), evaluated independently of one another, so a user
can see every reason a spaxel fails; ``reject_reason`` names the *first*
failed cut in the order of :data:`CUTS`, and ``selected`` is True when all pass.

Without a Pipe3D cube the table is built "DAP-only": Sigma_*, sSFR_local,
D4000, t_LW and their ratios are NaN and the D4000 cut is skipped (its column
is all True and ``skipped_cuts`` says so).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import pandas as pd
import pyarrow as pa

from . import physics
from .calibration import CALIBRATORS
from .config import PhysicsConfig, SelectionConfig
from .io.errors import InputFileError
from .io.maps import DapMaps
from .io.maskbits import has_bits
from .io.pipe3d import Pipe3DMaps
from .physics import calibrators

__all__ = ["CUTS", "GalaxyInfo", "SpaxelTable", "spaxel_table"]

#: Selection cuts in the order used for ``reject_reason`` (design §5).
CUTS: tuple[str, ...] = (
    "mask",  # DONOTUSE clear in every map used
    "snr",  # S/N > snr_min in Ha, Hb, [OIII]5008, [NII]6585, summed [OII] (finite values)
    "bpt",  # Kauffmann et al. (2003) star-forming (dust-corrected ratios by default)
    "ew",  # finite EW(Ha) > ew_ha_min
    "balmer",  # Ha/Hb >= balmer_min before correction
    "radius",  # r_re_min <= R/Re <= r_re_max
    "d4000",  # d4000_min < D4000 < d4000_max (Pipe3D; skipped without a cube)
    "oh_m13",  # oh_m13_min <= 12+log(O/H)_M13 <= oh_m13_max
)

_LINES = {  # our short name -> DAP channel name(s)
    "hb": ("Hb-4862",),
    "oiii": ("OIII-5008",),
    "nii": ("NII-6585",),
    "ha": ("Ha-6564",),
    "oii": ("OII-3727", "OII-3729"),
}


@dataclass(frozen=True)
class GalaxyInfo:
    """Galaxy-level values a spaxel table needs.

    Attributes
    ----------
    plateifu : str
        MaNGA plate-ifu.
    z : float
        Redshift (NSA ``nsa_z``; the DAP's ``SCINPVEL / c`` in DAP-only use).
    ba : float
        Axis ratio b/a (NSA elliptical Petrosian), the inclination correction.
    re_arcsec : float
        Effective radius, arcsec (NSA ``nsa_elpetro_th50_r``); NaN if unknown.
    log_mstar : float
        log10(M*/Msun), Kroupa IMF; NaN if unknown.
    """

    plateifu: str
    z: float
    ba: float
    re_arcsec: float = float("nan")
    log_mstar: float = float("nan")

    def __post_init__(self):
        if not (np.isfinite(self.z) and self.z > 0):
            raise ValueError(f"{self.plateifu}: redshift {self.z!r} is not a positive number")
        if not (np.isfinite(self.ba) and 0 < self.ba <= 1):
            raise ValueError(f"{self.plateifu}: axis ratio b/a {self.ba!r} is not in (0, 1]")


@dataclass(frozen=True)
class SpaxelTable:
    """The spaxel table of one galaxy and what was done to make it.

    Attributes
    ----------
    columns : mapping of str to ndarray
        The table's columns (documented in :func:`spaxel_table`), each of length
        :attr:`n_spaxels`, read-only.
    mode : str
        ``'full'`` (DAP + Pipe3D) or ``'dap-only'``.
    skipped_cuts : tuple of str
        Cuts that could not be applied in this mode.
    """

    columns: Mapping[str, np.ndarray]
    mode: str
    skipped_cuts: tuple[str, ...]

    @property
    def n_spaxels(self) -> int:
        """Number of rows (covered spaxels)."""
        return len(self.columns["x"])

    @functools.cached_property
    def table(self) -> pd.DataFrame:
        """The columns as a DataFrame (made on first use; a copy of the arrays)."""
        return pd.DataFrame(dict(self.columns))

    def to_arrow(self, *, metadata: Mapping[str, str] | None = None) -> pa.Table:
        """The columns as an Arrow table, typed as ``pyarrow.Table.from_pandas(self.table)``.

        Text columns are ``large_string`` and NaN in a floating-point column is null,
        as pyarrow writes a DataFrame, so tables made either way can be read as one
        dataset. Made from the arrays directly: it skips pandas, which costs some
        60 microseconds a column.

        Parameters
        ----------
        metadata : mapping of str to str, optional
            Schema metadata of the table.
        """
        arrays = {}
        for name, values in self.columns.items():
            if values.dtype == object:
                arrays[name] = pa.array(values, type=pa.large_string())
            else:  # from_pandas: NaN -> null, as for a DataFrame
                arrays[name] = pa.array(values, from_pandas=True)
        return pa.table(arrays, metadata=None if metadata is None else dict(metadata))

    def cut_counts(self) -> dict[str, int]:
        """Spaxels failing each cut (independently), plus ``covered`` and ``selected`` totals."""
        c = self.columns
        n = self.n_spaxels
        counts = {"covered": n}
        counts.update({f"fail_{cut}": n - int(np.count_nonzero(c[f"ok_{cut}"])) for cut in CUTS})
        passed_before = np.ones(n, dtype=bool)  # passed every cut before this one
        for cut in CUTS:
            ok = c[f"ok_{cut}"]
            counts[f"first_{cut}"] = int(np.count_nonzero(passed_before & ~ok))
            passed_before &= ok
        counts["selected"] = int(np.count_nonzero(c["selected"]))
        return counts


@functools.lru_cache(maxsize=8)
def _cosmology(h0: float, om0: float):
    """``FlatLambdaCDM(H0=h0, Om0=om0)``, built once per pair (astropy needs ~30 ms per build)."""
    from astropy.cosmology import FlatLambdaCDM

    return FlatLambdaCDM(H0=h0, Om0=om0)


def _flux(dap: DapMaps, names: tuple[str, ...], attr: str, covered: np.ndarray):
    """Summed value, error and DONOTUSE of one line (a doublet is summed), covered spaxels.

    A component whose value is not finite, or whose inverse variance is not
    finite and positive, has an infinite error, so the S/N of the line is 0 or
    NaN and the spaxel fails the S/N cut.
    """
    n = int(np.count_nonzero(covered))
    value = np.zeros(n)
    var = np.zeros(n)
    bad = np.zeros(n, dtype=bool)
    for name in names:
        m = getattr(dap, attr)[name]
        line, ivar = m.value[covered], m.ivar[covered]
        usable = np.isfinite(line) & np.isfinite(ivar) & (ivar > 0)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            value = value + line
            var = var + np.where(usable, 1.0 / ivar, np.inf)
        bad |= has_bits(m.mask[covered], "DONOTUSE")
    return value, np.sqrt(var), bad


def _escape_velocity(dap, galaxy, sigma_star, covered, phys, cosmology) -> np.ndarray:
    """Stellar-only v_esc (km/s) at each covered spaxel from the galaxy's Sigma_* map.

    A spaxel's mass is ``Sigma_* x A_spaxel / (b/a)`` (Sigma_* is face-on); radii
    are the deprojected elliptical radii in kpc, at least half a spaxel's side.
    """
    kpc_per_arcsec = (
        float(physics.angular_diameter_distance_kpc(galaxy.z, cosmology=cosmology))
        * np.pi
        / 648000.0
    )
    area = (phys.spaxel_arcsec * kpc_per_arcsec) ** 2
    radius = dap.r_arcsec[covered] * kpc_per_arcsec
    total = 10.0**galaxy.log_mstar  # not finite (M* unknown): the map's mass alone
    return physics.spherical_escape_velocity(
        radius, radius, sigma_star * area / galaxy.ba,
        total_mass_msun=total, min_radius_kpc=0.5 * phys.spaxel_arcsec * kpc_per_arcsec,
    )  # fmt: skip


def spaxel_table(
    dap: DapMaps,
    galaxy: GalaxyInfo,
    pipe3d: Pipe3DMaps | None = None,
    *,
    selection: SelectionConfig | None = None,
    physics_config: PhysicsConfig | None = None,
) -> SpaxelTable:
    """Derive every spaxel quantity and selection flag of one galaxy.

    Parameters
    ----------
    dap : DapMaps
        From :func:`metgrad.io.maps.read_dap_maps`.
    galaxy : GalaxyInfo
        Redshift, b/a and galaxy-level values.
    pipe3d : Pipe3DMaps, optional
        From :func:`metgrad.io.pipe3d.read_pipe3d`; without it the table is DAP-only.
    selection : SelectionConfig, optional
        Cut thresholds (default: the paper's).
    physics_config : PhysicsConfig, optional
        R_V, intrinsic Balmer decrement, cosmology, spaxel size, IMF factors.

    Returns
    -------
    SpaxelTable
        Columns of ``table``, per covered spaxel:

        - ``plateifu``; ``x``, ``y``: spaxel column and row in the maps;
        - ``r_re``: deprojected radius / R_e; ``r_arcsec``: elliptical radius (arcsec);
        - ``flux_<line>`` and ``err_<line>`` for ``oii`` (3727+3729), ``hb``, ``oiii``
          (5008), ``nii`` (6585), ``ha``: observed Gaussian fluxes (``EMLINE_GFLUX``)
          and 1-sigma errors, 1e-17 erg/s/cm^2/spaxel; ``snr_<line>`` = flux / error;
        - ``flux_ha_np``: observed non-parametric Halpha (``EMLINE_SFLUX``);
        - ``ew_ha``: EW(Halpha), Angstrom (``EMLINE_SEW``, rest frame);
        - ``balmer_ratio``: observed Ha/Hb; ``ebv``: E(B-V) (mag, not clipped);
          ``a_v``: R_V E(B-V) (mag);
        - ``corr_<line>`` and ``corr_ha_np``: dust-corrected fluxes (same unit);
        - ``sigma_sfr``: Msun/yr/kpc^2 (Kennicutt et al. 2009 from corrected
          ``flux_ha_np``, times b/a); ``sigma_star``: Msun/kpc^2 (Pipe3D, Kroupa,
          times b/a and dezonification); ``ssfr_local``: sigma_sfr / sigma_star, 1/yr;
        - ``d4000``: Pipe3D D4000; ``log_age_lw``: Pipe3D light-weighted log10(age/yr);
        - ``av_over_sigma_star``: mag kpc^2/Msun; ``sigma_sfr_over_av``: Msun/yr/kpc^2/mag;
        - ``v_esc``: stellar-only escape velocity at the spaxel's deprojected radius,
          km/s, from every covered spaxel's mass plus the rest of M* as a shell at the
          map's edge (:func:`~metgrad.physics.spherical_escape_velocity`; NaN without
          a Pipe3D cube);
        - ``oh_<key>``, ``oh_<key>_err`` for every calibrator of
          :data:`metgrad.calibration.CALIBRATORS` whose lines the file has
          (``oh_m13``, ``oh_pg16``, ...): 12+log(O/H) and 1-sigma errors (dex)
          propagated from the flux errors through the Balmer correction and the
          calibrator; ``branch_<key>`` (int8: 1 upper, -1 lower, 0 none) for the
          double-valued ones;
        - ``ok_<cut>`` for every cut of :data:`CUTS`; ``selected``; ``reject_reason``.

    Raises
    ------
    InputFileError
        If the Pipe3D maps and the DAP maps differ in shape (the message names
        the cube).
    """
    sel = SelectionConfig() if selection is None else selection
    phys = PhysicsConfig() if physics_config is None else physics_config
    if pipe3d is not None and pipe3d.shape != dap.shape:
        raise InputFileError(
            pipe3d.path,
            f"maps of shape {pipe3d.shape} do not match the {dap.shape} maps of "
            f"{dap.path.name} (a cube of another galaxy?)",
        )
    covered = ~has_bits(dap.gflux["Ha-6564"].mask, "NOCOV")
    ys, xs = np.nonzero(covered)  # every quantity below is per covered spaxel, in this order
    cols, bad = _line_columns(dap, covered)
    _dust_columns(cols, phys)
    _star_formation_columns(cols, galaxy, pipe3d, covered, phys)
    # learn (issue #16): the local escape velocity from the whole Sigma_* map
    cols["v_esc"] = _escape_velocity(
        dap, galaxy, cols["sigma_star"], covered, phys, _cosmology(phys.h0, phys.om0)
    )
    _calibrator_columns(cols, dap, covered, phys)
    r_re = dap.r_re[covered]
    ok, skipped = _cut_flags(cols, bad, r_re, sel, dap_only=pipe3d is None)
    data: dict[str, np.ndarray] = {
        "plateifu": np.full(ys.size, galaxy.plateifu, dtype=object),
        "x": xs.astype(np.int16),
        "y": ys.astype(np.int16),
        "r_re": r_re,
        "r_arcsec": dap.r_arcsec[covered],
    }
    for name, arr in cols.items():
        data[name] = arr if arr.dtype == np.int8 else np.asarray(arr, dtype=np.float64)
    data.update(_selection_columns(ok))
    for arr in data.values():
        arr.flags.writeable = False
    return SpaxelTable(
        columns=MappingProxyType(data),
        mode="full" if pipe3d is not None else "dap-only",
        skipped_cuts=skipped,
    )


def _line_columns(dap: DapMaps, covered: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Observed fluxes, errors and S/N of the lines; non-parametric Halpha; EW(Halpha).

    Returns the columns and, per spaxel, whether DONOTUSE is set in any map used.
    """
    n = int(np.count_nonzero(covered))
    cols: dict[str, np.ndarray] = {}
    bad = np.zeros(n, dtype=bool)
    for short, names in _LINES.items():
        value, err, line_bad = _flux(dap, names, "gflux", covered)
        cols[f"flux_{short}"], cols[f"err_{short}"] = value, err
        with np.errstate(invalid="ignore"):  # err > 0 always; an infinite flux gives NaN
            cols[f"snr_{short}"] = value / err
        bad |= line_bad
    ha_np, _, ha_np_bad = _flux(dap, ("Ha-6564",), "sflux", covered)
    ew, _, ew_bad = _flux(dap, ("Ha-6564",), "sew", covered)
    cols["flux_ha_np"], cols["ew_ha"] = ha_np, ew
    return cols, bad | ha_np_bad | ew_bad


def _dust_columns(cols: dict[str, np.ndarray], phys: PhysicsConfig) -> None:
    """Balmer ratio, E(B-V), A_V and the dust-corrected fluxes (added to ``cols``)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        balmer = np.where(cols["flux_hb"] > 0, cols["flux_ha"] / cols["flux_hb"], np.nan)
    ebv = physics.balmer_ebv(
        cols["flux_ha"], cols["flux_hb"], intrinsic=phys.balmer_intrinsic, r_v=phys.r_v
    )
    cols["balmer_ratio"], cols["ebv"] = balmer, ebv
    cols["a_v"] = physics.av_from_ebv(ebv, r_v=phys.r_v)
    waves = physics.LINE_WAVELENGTHS_VACUUM_AA
    wave_of = {
        "hb": waves["Hb-4862"],
        "oiii": waves["OIII-5008"],
        "nii": waves["NII-6585"],
        "ha": waves["Ha-6564"],
        "oii": physics.OII_DOUBLET_WAVELENGTH_VACUUM_AA,
    }
    for short, wave in wave_of.items():
        cols[f"corr_{short}"] = physics.deredden(cols[f"flux_{short}"], wave, ebv, r_v=phys.r_v)
    cols["corr_ha_np"] = physics.deredden(cols["flux_ha_np"], waves["Ha-6564"], ebv,
                                          r_v=phys.r_v)  # fmt: skip


def _star_formation_columns(cols, galaxy, pipe3d, covered, phys) -> None:
    """Sigma_SFR, and from the Pipe3D cube Sigma_*, D4000, t_LW and their ratios."""
    n = int(np.count_nonzero(covered))
    cosmology = _cosmology(phys.h0, phys.om0)
    cols["sigma_sfr"] = physics.sigma_sfr_halpha(
        cols["corr_ha_np"], galaxy.z, galaxy.ba, spaxel_arcsec=phys.spaxel_arcsec,
        cosmology=cosmology,
    )  # fmt: skip
    if pipe3d is not None:
        cols["sigma_star"] = physics.sigma_star_pipe3d(
            pipe3d.log_mass_density_dust[covered], pipe3d.dezonification[covered],
            galaxy.z, galaxy.ba, imf_factor=phys.salpeter_to_kroupa,
            spaxel_arcsec=phys.spaxel_arcsec, cosmology=cosmology,
        )  # fmt: skip
        cols["d4000"] = pipe3d.d4000[covered]
        cols["log_age_lw"] = pipe3d.log_age_lw[covered]
    else:
        nan = np.full(n, np.nan)
        cols["sigma_star"], cols["d4000"], cols["log_age_lw"] = nan, nan, nan
    # Sigma_SFR and Sigma_* are positive or NaN; only A_V can be 0 (no dust): SFR / 0 = inf
    with np.errstate(divide="ignore"):
        cols["ssfr_local"] = cols["sigma_sfr"] / cols["sigma_star"]
        cols["av_over_sigma_star"] = cols["a_v"] / cols["sigma_star"]
        cols["sigma_sfr_over_av"] = cols["sigma_sfr"] / cols["a_v"]


def _channel_fluxes(dap: DapMaps, covered: np.ndarray):
    """Observed flux and 1-sigma error of every Gaussian-fit channel read, covered spaxels.

    A value that is not finite, or an inverse variance that is not finite and
    positive, gives NaN (the calibrators then return NaN for that spaxel).
    """
    fluxes, errors = {}, {}
    for name, m in dap.gflux.items():
        line, ivar = m.value[covered], m.ivar[covered]
        usable = np.isfinite(line) & np.isfinite(ivar) & (ivar > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            fluxes[name] = np.where(np.isfinite(line), line, np.nan)
            errors[name] = np.where(usable, 1.0 / np.sqrt(ivar), np.nan)
    return fluxes, errors


def _calibrator_columns(
    c: dict[str, np.ndarray], dap: DapMaps, covered: np.ndarray, phys: PhysicsConfig
) -> None:
    """12+log(O/H), its error and (if double-valued) its branch, per calibrator.

    Every calibrator of :data:`metgrad.calibration.CALIBRATORS` whose lines the
    MAPS file has, from the observed fluxes corrected for dust with their own
    Balmer decrement; the errors are propagated from the line-flux errors through
    that correction (:func:`metgrad.physics.calibrators.estimate_all`).
    """
    fluxes, errors = _channel_fluxes(dap, covered)
    # every registered calibrator whose lines the file has (estimate_all's default);
    # it returns float64 values and errors and int8 branch codes
    estimates = calibrators.estimate_all(
        fluxes, errors, dust_correct=True, intrinsic=phys.balmer_intrinsic, r_v=phys.r_v
    )
    for cal in CALIBRATORS.values():
        if cal.name not in estimates:
            continue
        est = estimates[cal.name]
        c[cal.oh_column], c[cal.err_column] = est.oh, est.error
        if cal.branched:
            c[cal.branch_column] = est.branch


def _cut_flags(c, bad, r_re, sel: SelectionConfig, *, dap_only: bool):
    """One boolean per cut of :data:`CUTS` (True = passes), and the cuts skipped."""
    ew = c["ew_ha"]
    bpt = "corr" if sel.bpt_dust_corrected else "flux"  # §2.1: corrected fluxes throughout
    ok = {  # comparisons with NaN are False, without a warning
        "mask": ~bad,
        "snr": np.all([c[f"snr_{s}"] > sel.snr_min for s in _LINES], axis=0),
        "bpt": physics.is_star_forming_k03(
            *(c[f"{bpt}_{line}"] for line in ("nii", "ha", "oiii", "hb"))
        ),
        "ew": np.isfinite(ew) & (ew > sel.ew_ha_min),
        "balmer": c["balmer_ratio"] >= sel.balmer_min,
        "radius": (r_re >= sel.r_re_min) & (r_re <= sel.r_re_max),
        "d4000": (c["d4000"] > sel.d4000_min) & (c["d4000"] < sel.d4000_max),
        "oh_m13": (c["oh_m13"] >= sel.oh_m13_min) & (c["oh_m13"] <= sel.oh_m13_max),
    }
    if dap_only:
        ok["d4000"] = np.ones(r_re.size, dtype=bool)
        return ok, ("d4000",)
    return ok, ()


def _selection_columns(ok: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """``ok_<cut>`` per cut, ``selected`` and ``reject_reason`` (the first failed cut)."""
    flags = np.stack([ok[cut] for cut in CUTS])  # every flag is a boolean array
    data = {f"ok_{cut}": flag for cut, flag in zip(CUTS, flags, strict=True)}
    selected = flags.all(axis=0)
    reasons = np.array(CUTS, dtype=object)[np.argmin(flags, axis=0)]
    reasons[selected] = ""
    data["selected"] = selected
    data["reject_reason"] = reasons
    return data

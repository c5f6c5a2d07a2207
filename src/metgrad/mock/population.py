"""Galaxy-level draws: mass, size, shape, IFU, redshift, sky position, SF state.

Galaxy ``i`` is a pure function of ``(config, i)``: its random numbers come
from ``SeedSequence(config.seed, spawn_key=(0, i))`` and its IFU slot from the
shuffled slot list of its plate (``spawn_key=(1, plate_index)``), so the same
seed always gives the same galaxy, whatever the number of workers.

Repeat observations: as in DR17, a few galaxies have a second plate-ifu. The
survey has ``n_galaxies`` galaxies and ``n_observations(config)`` plate-ifus;
observations ``0 .. n_galaxies - 1`` are the first observations of galaxies
``0 .. n_galaxies - 1``, and observation ``n_galaxies + r`` is the repeat of
galaxy ``repeat_plan(config)[r]``: the same galaxy (mangaid, sky position,
catalogue values, intrinsic maps), an IFU of the same size on a later plate,
its own depth and its own noise.
"""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass, replace

import numpy as np

from .config import MockConfig
from .cosmology import distance_tables
from .geometry import IFU_DESIGNS, PLATE_SLOTS

__all__ = [
    "Galaxy",
    "cosmology_tables",
    "draw_galaxy",
    "draw_observation",
    "galaxy_rng",
    "mass_size_median",
    "n_observations",
    "plate_slot",
    "repeat_plan",
    "repeat_slots",
]

#: spawn-key streams
STREAM_GALAXY, STREAM_PLATE, STREAM_CATALOG, STREAM_MAPS, STREAM_REPEAT, STREAM_NOISE = range(6)


def galaxy_rng(seed: int, stream: int, index: int) -> np.random.Generator:
    """Independent random generator for one (stream, index) pair of a seed."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(stream, index)))


@functools.lru_cache(maxsize=8)
def cosmology_tables(h0: float, om0: float) -> dict[str, np.ndarray]:
    """Redshift grid with kpc/arcsec, luminosity distance (cm) and h^-1 kpc/arcsec.

    Distances come from the mock's own integration of the Friedmann equation
    (:mod:`metgrad.mock.cosmology`), not from astropy or the pipeline.

    Parameters
    ----------
    h0, om0 : float
        Flat Lambda-CDM parameters (km/s/Mpc, dimensionless).

    Returns
    -------
    dict
        ``z``; ``kpc_per_arcsec`` (angular-diameter scale); ``dl_cm``
        (luminosity distance, cm); ``hkpc_per_arcsec`` (the DAP's ``R h/kpc``
        scale, i.e. the same angular scale for H0 = 100).
    """
    z = np.linspace(0.002, 0.4, 2000)
    tables = distance_tables(z, h0, om0)
    return {
        "z": z,
        "kpc_per_arcsec": tables["kpc_per_arcsec"],
        "dl_cm": tables["dl_cm"],
        "hkpc_per_arcsec": distance_tables(z, 100.0, om0)["kpc_per_arcsec"],
    }


def mass_size_median(logm: np.ndarray | float, config: MockConfig) -> np.ndarray | float:
    """Median log10 R_e (kpc) at log M* of the injected mass-size relation."""
    return config.size_intercept + config.size_slope * (np.asarray(logm) - 10.0)


def plate_slot(config: MockConfig, index: int) -> tuple[int, int]:
    """Plate number and IFU design of galaxy ``index``.

    Galaxies fill plates of 17 IFUs in order; the slot order within a plate is
    a seeded shuffle, so a small survey still mixes IFU sizes.
    """
    return _plate_slot(config.seed, config.first_plate, index)


def _plate_slot(seed: int, first_plate: int, index: int) -> tuple[int, int]:
    plate_index, slot = divmod(index, len(PLATE_SLOTS))
    order = galaxy_rng(seed, STREAM_PLATE, plate_index).permutation(len(PLATE_SLOTS))
    return first_plate + plate_index, PLATE_SLOTS[int(order[slot])]


@dataclass(frozen=True)
class Galaxy:
    """Galaxy-level truth of one synthetic MaNGA galaxy (units in names)."""

    index: int
    plate: int
    ifudsgn: int
    plateifu: str
    mangaid: str
    fibres: int
    npix: int
    hex_circumradius_arcsec: float
    ra: float
    dec: float
    logm_kroupa: float
    logm_chabrier_gswlc: float
    log_re_kpc: float
    size_residual_dex: float
    re_kpc: float
    re_arcsec: float
    ba: float
    pa_deg: float
    z: float
    kpc_per_arcsec: float
    hkpc_per_arcsec: float
    dl_cm: float
    primary: bool
    coverage_target_re: float
    coverage_re: float
    bulge_fraction: float
    quenched_centre: bool
    quench_radius_re: float
    quenched_global: bool
    truncation_radius_re: float
    rejuvenated: bool
    rejuvenation_boost_dex: float
    dig_ew: float
    liner_ew: float
    dig_ratios: tuple[float, ...]
    liner_ratios: tuple[float, ...]
    depth: float
    forestar: bool
    forestar_x_arcsec: float
    forestar_y_arcsec: float
    in_gswlc: bool
    gswlc_has_mass: bool
    log_u_galaxy: float  #: the galaxy's ionisation-parameter offset (dex), see mock.lines
    galaxy_index: int  #: index of the physical galaxy (= ``index`` for first observations)
    repeat_of: str  #: plate-ifu of the galaxy's first observation ("" for a first observation)

    def row(self) -> dict:
        """Flat dictionary for the galaxy truth table (tuples split into columns)."""
        out = asdict(self)
        names = ("nii_ha", "oiii_hb", "oii_hb", "sii_ha", "oi_ha")
        for key in ("dig_ratios", "liner_ratios"):
            values = out.pop(key)
            for name, value in zip(names, values, strict=True):
                out[f"{key[:-7]}_log_{name}"] = float(value)
        return out


def _logistic(x: float) -> float:
    return float(1.0 / (1.0 + np.exp(-x)))


def _redshift(config: MockConfig, scale_needed: float):
    """Distance tables, redshift and kpc/arcsec giving ``scale_needed`` kpc/arcsec (clipped)."""
    tables = cosmology_tables(config.h0, config.om0)
    z = float(np.interp(scale_needed, tables["kpc_per_arcsec"], tables["z"]))
    z = float(np.clip(z, config.z_min, config.z_max))
    return tables, z, float(np.interp(z, tables["z"], tables["kpc_per_arcsec"]))


def _quench_probabilities(config: MockConfig, logm: float) -> tuple[float, float]:
    """Probabilities of a quenched centre and of global quenching, rising with mass."""
    top = config.logm_max
    p_centre = config.quench_centre_prob_max * np.clip(
        (logm - config.quench_centre_logm) / (top - config.quench_centre_logm), 0.0, 1.0
    )
    p_global = config.quench_global_prob_max * np.clip(
        (logm - config.quench_global_logm) / (top - config.quench_global_logm), 0.0, 1.0
    )
    return float(p_centre), float(p_global)


def draw_galaxy(config: MockConfig, index: int) -> Galaxy:
    """Draw the galaxy-level properties of galaxy ``index``.

    Parameters
    ----------
    config : MockConfig
        Survey parameters.
    index : int
        Galaxy index, 0 <= index < config.n_galaxies.

    Returns
    -------
    Galaxy

    Notes
    -----
    The redshift is chosen so that the IFU's mean hexagon radius (average of
    circumradius and inradius) equals the target coverage (1.5 or 2.5 R_e)
    times R_e, then clipped to [z_min, z_max]; ``coverage_re`` records the
    coverage actually obtained.
    """
    if not 0 <= index < config.n_galaxies:
        raise ValueError(f"galaxy index {index} outside 0..{config.n_galaxies - 1}")
    rng = galaxy_rng(config.seed, STREAM_GALAXY, index)
    plate, ifudsgn = plate_slot(config, index)
    ifu = IFU_DESIGNS[ifudsgn // 100]

    logm = float(rng.uniform(config.logm_min, config.logm_max))
    size_residual = float(rng.normal(0.0, config.size_scatter))
    log_re = float(mass_size_median(logm, config)) + size_residual
    re_kpc = 10.0**log_re
    ba = float(rng.uniform(config.ba_min, config.ba_max))
    pa = float(rng.uniform(0.0, 180.0))
    primary = bool(rng.uniform() < config.primary_fraction)
    coverage_target = config.coverage_primary if primary else config.coverage_secondary

    scale_needed = coverage_target * re_kpc / ifu.mean_radius_arcsec  # kpc/arcsec
    tables, z, kpc_per_arcsec = _redshift(config, scale_needed)
    re_arcsec = re_kpc / kpc_per_arcsec

    # sky position: uniform on the sphere within the survey area
    sin_lo, sin_hi = np.sin(np.radians(config.dec_range))
    ra = float(rng.uniform(*config.ra_range))
    dec = float(np.degrees(np.arcsin(rng.uniform(sin_lo, sin_hi))))

    bt = config.bulge_fraction_max * _logistic(
        (logm - config.bulge_fraction_mid) / config.bulge_fraction_width
    )
    p_centre, p_global = _quench_probabilities(config, logm)
    quenched_centre = bool(rng.uniform() < p_centre)
    quench_radius = float(rng.uniform(*config.quench_centre_radius))
    quenched_global = bool(rng.uniform() < p_global)
    truncation = float(rng.uniform(*config.truncation_radius))
    rejuvenated = bool(rng.uniform() < config.rejuvenated_fraction)
    boost = float(rng.uniform(*config.rejuvenated_age_boost)) if rejuvenated else 0.0
    dig_ew = float(rng.uniform(*config.dig_ew_range))
    liner_ew = float(rng.uniform(*config.liner_ew_range)) if quenched_centre else 0.0
    dig_ratios = tuple(
        float(v) for v in np.asarray(config.dig_ratios) + rng.normal(0, config.ratio_scatter, 5)
    )
    liner_ratios = tuple(
        float(v) for v in np.asarray(config.liner_ratios) + rng.normal(0, config.ratio_scatter, 5)
    )
    depth = float(10.0 ** rng.normal(0.0, config.depth_scatter_dex))
    forestar = bool(rng.uniform() < config.forestar_fraction)
    star_r = rng.uniform(0.3, 0.8) * ifu.circumradius_arcsec
    star_phi = rng.uniform(0.0, 2.0 * np.pi)
    in_gswlc = bool(rng.uniform() >= config.gswlc_missing_fraction)
    has_mass = bool(rng.uniform() >= config.gswlc_nomass_fraction)
    gswlc_noise = float(rng.normal(0.0, config.gswlc_mass_scatter))
    log_u_galaxy = float(rng.normal(0.0, config.ion_scatter_galaxy))
    logm_chab = logm - np.log10(config.chabrier_to_kroupa) + gswlc_noise

    return Galaxy(
        index=index,
        plate=plate,
        ifudsgn=ifudsgn,
        plateifu=f"{plate}-{ifudsgn}",
        mangaid=f"1-{100000 + 37 * index + 11}",
        fibres=ifu.fibres,
        npix=ifu.grid,
        hex_circumradius_arcsec=ifu.circumradius_arcsec,
        ra=ra,
        dec=dec,
        logm_kroupa=logm,
        logm_chabrier_gswlc=float(logm_chab),
        log_re_kpc=log_re,
        size_residual_dex=size_residual,
        re_kpc=re_kpc,
        re_arcsec=float(re_arcsec),
        ba=ba,
        pa_deg=pa,
        z=z,
        kpc_per_arcsec=kpc_per_arcsec,
        hkpc_per_arcsec=float(np.interp(z, tables["z"], tables["hkpc_per_arcsec"])),
        dl_cm=float(np.interp(z, tables["z"], tables["dl_cm"])),
        primary=primary,
        coverage_target_re=coverage_target,
        coverage_re=float(ifu.mean_radius_arcsec / re_arcsec),
        bulge_fraction=float(bt),
        quenched_centre=quenched_centre,
        quench_radius_re=quench_radius,
        quenched_global=quenched_global,
        truncation_radius_re=truncation,
        rejuvenated=rejuvenated,
        rejuvenation_boost_dex=boost,
        dig_ew=dig_ew,
        liner_ew=liner_ew,
        dig_ratios=dig_ratios,
        liner_ratios=liner_ratios,
        depth=depth,
        forestar=forestar,
        forestar_x_arcsec=float(star_r * np.cos(star_phi)),
        forestar_y_arcsec=float(star_r * np.sin(star_phi)),
        in_gswlc=in_gswlc,
        gswlc_has_mass=has_mass,
        log_u_galaxy=log_u_galaxy,
        galaxy_index=index,
        repeat_of="",
    )


@functools.lru_cache(maxsize=32)
def _repeat_plan(seed: int, n_galaxies: int, fraction: float) -> tuple[int, ...]:
    n_repeat = round(fraction * n_galaxies)
    rng = galaxy_rng(seed, STREAM_REPEAT, 0)
    return tuple(int(i) for i in np.sort(rng.choice(n_galaxies, n_repeat, replace=False)))


def repeat_plan(config: MockConfig) -> tuple[int, ...]:
    """Indices of the galaxies observed twice, increasing (``round(repeat_fraction * n)``)."""
    return _repeat_plan(config.seed, config.n_galaxies, config.repeat_fraction)


def n_observations(config: MockConfig) -> int:
    """Number of plate-ifus of the survey: every galaxy once, plus the repeats."""
    return config.n_galaxies + len(repeat_plan(config))


@functools.lru_cache(maxsize=32)
def _repeat_slots(
    seed: int, n_galaxies: int, fraction: float, first_plate: int
) -> tuple[tuple[int, int], ...]:
    first_repeat_plate = first_plate + -(-n_galaxies // len(PLATE_SLOTS))
    used: list[set[int]] = []
    slots = []
    for original in _repeat_plan(seed, n_galaxies, fraction):
        _, ifudsgn = _plate_slot(seed, first_plate, original)
        designs = IFU_DESIGNS[ifudsgn // 100].designs
        for k, taken in enumerate([*used, set()]):
            free = [d for d in designs if d not in taken]
            if free:
                if k == len(used):
                    used.append(set())
                used[k].add(free[0])
                slots.append((first_repeat_plate + k, free[0]))
                break
    return tuple(slots)


def repeat_slots(config: MockConfig) -> tuple[tuple[int, int], ...]:
    """(plate, ifudesign) of each repeat observation, in :func:`repeat_plan` order.

    Repeats fill plates numbered after the first observations' plates; each takes
    the first free IFU design of its galaxy's bundle size on the first repeat plate
    that has one, so a repeat never shares a plate with its first observation.
    """
    return _repeat_slots(
        config.seed, config.n_galaxies, config.repeat_fraction, config.first_plate
    )


def draw_observation(config: MockConfig, index: int) -> Galaxy:
    """The galaxy seen by observation (plate-ifu) ``index``, 0 <= index < n_observations.

    A first observation is :func:`draw_galaxy`; a repeat is its galaxy with another
    plate-ifu (see :func:`repeat_slots`), ``repeat_of`` set, and a depth of its own
    (drawn as the galaxies' depths are, from the repeat stream).
    """
    total = n_observations(config)
    if not 0 <= index < total:
        raise ValueError(f"observation index {index} outside 0..{total - 1}")
    if index < config.n_galaxies:
        return draw_galaxy(config, index)
    r = index - config.n_galaxies
    first = draw_galaxy(config, repeat_plan(config)[r])
    plate, ifudsgn = repeat_slots(config)[r]
    depth = float(10.0 ** galaxy_rng(config.seed, STREAM_REPEAT, 1 + r).normal(
        0.0, config.depth_scatter_dex))  # fmt: skip
    return replace(
        first,
        index=index,
        plate=plate,
        ifudsgn=ifudsgn,
        plateifu=f"{plate}-{ifudsgn}",
        depth=depth,
        repeat_of=first.plateifu,
    )

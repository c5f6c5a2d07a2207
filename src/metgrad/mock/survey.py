"""Orchestration: one galaxy at a time to files, then the catalogues and truth tables.

``generate_survey`` maps :func:`galaxy_job` (a pure, picklable function of
``(config, out_dir, index)``) over the galaxy indices with any object that has
a ``map`` method (the built-in serial ``map`` by default, a
``concurrent.futures`` executor for parallel runs), so memory stays flat in
the number of galaxies and the output does not depend on the executor.

Layout under ``out_dir`` (mirrors the DR17 SAS paths)::

    maps/DAPTYPE/PLATE/IFU/manga-PLATE-IFU-MAPS-DAPTYPE.fits.gz
    pipe3d/PLATE/manga-PLATE-IFU.Pipe3D.cube.fits.gz
    drpall-v3_1_1.fits            GSWLC-X2.dat            survey.toml
    truth/galaxies.parquet        truth/gswlc.parquet     truth/relations.json
    truth/spaxels/PLATE-IFU.parquet

One file set per plate-ifu: a galaxy with a repeat observation has two (see
:mod:`metgrad.mock.population`); ``truth/galaxies.parquet`` has one row per
plate-ifu, with ``galaxy_index``, ``repeat_of`` and ``n_observations``.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from .catalogs import build_drpall_hdus, gswlc_text
from .config import MockConfig
from .dap_writer import build_maps_hdus, maps_relpath
from .files import fits_gz_bytes, parquet_bytes, write_atomic
from .fitswriter import fits_bytes
from .geometry import continuum_segmentation
from .maps import galaxy_maps
from .observe import Observation, observe_galaxy
from .pipe3d_writer import bin_mean, build_pipe3d_hdus, pipe3d_relpath
from .population import (
    STREAM_MAPS,
    STREAM_NOISE,
    Galaxy,
    draw_observation,
    galaxy_rng,
    n_observations,
    repeat_plan,
)
from .scales import SCALES, oh_on_scales, truth_column
from .truth import relations_document, spaxel_table, true_gradient

__all__ = [
    "DRPALL_NAME",
    "GSWLC_NAME",
    "SurveyResult",
    "dap_products",
    "galaxy_job",
    "generate_survey",
    "make_galaxy",
    "pipe3d_products",
    "survey_toml",
]

DRPALL_NAME = "drpall-v3_1_1.fits"
GSWLC_NAME = "GSWLC-X2.dat"


def pipe3d_products(
    galaxy: Galaxy, maps: dict, obs: Observation, config: MockConfig, rng: np.random.Generator
) -> dict:
    """Pipe3D-like binned stellar quantities of one galaxy (full-grid arrays).

    Mass: Salpeter mass per spaxel ``Sigma_* / (b/a) A / 0.62``; each
    continuum bin gets ``log10`` of its mean spaxel mass plus Gaussian noise of
    ``stellar_mass_noise_dex``; the dezonification map is each spaxel's mass
    over its bin mean. Ages, stellar A_V and D4000 are light-weighted bin
    means (weights: continuum before PSF); D4000 gets per-bin noise of
    ``d4000_noise * 50 / (S/N of the bin)``.
    """
    cov = obs.covered
    binid = continuum_segmentation(
        maps["r_arcsec"], maps["azimuth"], cov, spaxels_per_bin=config.cs_bin_spaxels
    )
    nbin = int(binid.max()) + 1
    area = (config.spaxel_arcsec * galaxy.kpc_per_arcsec) ** 2
    mass = maps["sigma_star"] / galaxy.ba * area / config.salpeter_to_kroupa
    mean_mass = bin_mean(mass, binid)
    dezon = np.where(cov, mass / np.where(cov, mean_mass, 1.0), 0.0)
    mass_noise = rng.normal(0.0, config.stellar_mass_noise_dex, nbin)
    log_mass_bin = np.where(cov, np.log10(np.where(cov, mean_mass, 1.0)), 0.0)
    log_mass_bin = log_mass_bin + np.where(cov, mass_noise[binid], 0.0)

    light = obs.continuum_nopsf
    log_age_lw = bin_mean(maps["log_tlw"], binid, light)
    av_star = bin_mean(config.stellar_av_fraction * maps["av"], binid, light)
    snr2 = np.bincount(binid[cov], weights=obs.spx_snr[cov] ** 2, minlength=nbin)
    snr_bin = np.sqrt(snr2)[np.where(cov, binid, 0)]
    d4000_sigma = np.clip(
        config.d4000_noise * 50.0 / np.maximum(snr_bin, 1e-3), 0.005, config.d4000_noise_max_pipe3d
    )
    d4000 = bin_mean(maps["d4000"], binid, light) + d4000_sigma * np.where(
        cov, rng.standard_normal(nbin)[binid], 0.0
    )
    incl = np.sqrt(max(1.0 - galaxy.ba**2, 0.0))
    return {
        "binid": binid,
        "covered": cov,
        "vflux": 0.1 * light * (5500.0 / 6564.6) ** (1.0 + 2.0 * (maps["d4000"] - 1.2)),
        "dezon": dezon,
        "log_mass_true": np.where(cov, np.log10(mass), 0.0),
        "log_mass_bin": log_mass_bin,
        "log_mass_nodust": log_mass_bin - 0.4 * av_star,
        "log_age_lw": log_age_lw,
        "log_age_mw": np.minimum(log_age_lw + 0.2, 10.15),
        "av_star": av_star,
        "log_ml": 0.1 + 0.7 * (log_age_lw - 9.5),
        "d4000": d4000,
        "d4000_sigma": d4000_sigma,
        "vel": 200.0
        * incl
        * np.tanh(maps["r_arcsec"] / 3.0)
        * np.cos(np.radians(maps["azimuth"])),
        "disp": 50.0 + 100.0 * np.exp(-maps["r_re"]),
    }


def dap_products(obs: Observation, p3d: dict, maps: dict, config: MockConfig,
                 rng: np.random.Generator) -> dict:  # fmt: skip
    """DAP-like per-spaxel D4000 (noise from the spaxel S/N) and bin ids."""
    sigma = np.clip(
        config.d4000_noise * 50.0 / np.maximum(obs.spx_snr, 1e-3),
        0.005,
        config.d4000_noise_max_dap,
    )
    return {
        "binid": p3d["binid"],
        "d4000": maps["d4000"] + sigma * rng.standard_normal(sigma.shape),
        "d4000_sigma": sigma,
    }


@dataclass
class GalaxyProducts:
    """Everything made for one galaxy (kept in memory only while it is written)."""

    galaxy: Galaxy
    maps: dict
    obs: Observation
    p3d: dict
    dap: dict


def make_galaxy(config: MockConfig, index: int) -> GalaxyProducts:
    """Draw, build and observe observation (plate-ifu) ``index`` (no files written).

    The intrinsic maps come from the galaxy's stream (``galaxy_index``), so a repeat
    observation sees the same galaxy; everything observed (noise, failed fits, the
    Pipe3D and DAP measurement noise) from the observation's own stream.
    """
    galaxy = draw_observation(config, index)
    maps = galaxy_maps(galaxy, config, galaxy_rng(config.seed, STREAM_MAPS, galaxy.galaxy_index))
    rng = galaxy_rng(config.seed, STREAM_NOISE, index)
    obs = observe_galaxy(galaxy, maps, config, rng)
    p3d = pipe3d_products(galaxy, maps, obs, config, rng)
    dap = dap_products(obs, p3d, maps, config, rng)
    return GalaxyProducts(galaxy, maps, obs, p3d, dap)


def _covered_scales(maps: dict, covered: np.ndarray, config: MockConfig) -> dict:
    """Every calibrator's truth maps (:func:`~.scales.oh_on_scales`), NaN off the footprint."""
    out = {}
    for column, values in oh_on_scales(maps["oh_te"][covered], maps["log_u"][covered],
                                       config).items():  # fmt: skip
        out[column] = np.full(covered.shape, np.nan)
        out[column][covered] = values
    return out


def galaxy_job(config: MockConfig, out_dir: str, index: int) -> dict:
    """Make observation ``index``, write its MAPS, Pipe3D and truth files; return its truth row."""
    out = Path(out_dir)
    prod = make_galaxy(config, index)
    g, maps, obs = prod.galaxy, prod.maps, prod.obs
    maps_path = maps_relpath(g, config.daptype)
    cube_path = pipe3d_relpath(g)
    write_atomic(
        out / maps_path,
        fits_gz_bytes(build_maps_hdus(g, maps, obs, prod.dap, config), level=config.gzip_level),
    )
    write_atomic(
        out / cube_path,
        fits_gz_bytes(build_pipe3d_hdus(g, prod.p3d, config), level=config.gzip_level),
    )
    scales = _covered_scales(maps, obs.covered, config)
    table = spaxel_table(g, maps, obs, prod.p3d, prod.dap, config, scales=scales)
    write_atomic(out / "truth" / "spaxels" / f"{g.plateifu}.parquet", parquet_bytes(table))

    dominant_sf = obs.ha_sf >= np.maximum(obs.ha_dig, obs.ha_liner)
    in_range = obs.covered & (maps["r_re"] >= 0.5) & (maps["r_re"] <= 2.0)
    use = in_range & dominant_sf
    gradients = {
        key: true_gradient(scales[truth_column(key)], maps["r_re"], use) for key in SCALES
    }
    slope, intercept = gradients["m13"]
    slope_te, intercept_te = true_gradient(maps["oh_te"], maps["r_re"], use)
    row = g.row()
    row.update(
        {
            "maps_path": maps_path,
            "pipe3d_path": cube_path,
            "n_observations": 1 + repeat_plan(config).count(g.galaxy_index),
            "n_covered": int(obs.covered.sum()),
            "n_sf_0p5_2re": int(use.sum()),
            "size_term_slope": config.oh_size_coeff * max(g.size_residual_dex, 0.0),
            "true_gradient_m13": slope,
            "true_intercept_m13": intercept,
            "true_gradient_te": slope_te,
            "true_intercept_te": intercept_te,
            **{f"true_gradient_{k}": v[0] for k, v in gradients.items() if k != "m13"},
        }
    )
    return row


@dataclass(frozen=True)
class SurveyResult:
    """Where a survey was written and its galaxy truth table."""

    out_dir: Path
    galaxies: pa.Table
    toml_path: Path


def survey_toml(config: MockConfig, *, output_dir: str = "run") -> str:
    """The ``survey.toml`` that ``metgrad ingest`` reads (paths relative to its folder)."""
    return (
        "# Synthetic MaNGA survey written by `metgrad mock`.\n"
        "[inputs]\n"
        f'drpall = "{DRPALL_NAME}"\n'
        f'gswlc = "{GSWLC_NAME}"\n'
        'maps = "maps"        # searched recursively for manga-*-MAPS-*.fits.gz\n'
        'pipe3d = "pipe3d"    # searched recursively for manga-*.Pipe3D.cube.fits.gz\n'
        f'daptype = "{config.daptype}"\n'
        "\n[output]\n"
        f'dir = "{output_dir}"\n'
        "\n[mock]               # provenance only; ingest ignores this table\n"
        f"seed = {config.seed}\n"
        f"galaxies = {config.n_galaxies}\n"
        f"observations = {n_observations(config)}  # plate-ifus, repeats included\n"
    )


def _rows_to_table(rows: list[dict]) -> pa.Table:
    columns = {}
    for key in rows[0]:
        values = [r[key] for r in rows]
        columns[key] = pa.array(values)
    return pa.table(columns)


def generate_survey(
    config: MockConfig, out_dir: str | os.PathLike, *, executor=None, progress=None
) -> SurveyResult:
    """Write a whole synthetic survey.

    Parameters
    ----------
    config : MockConfig
        Survey parameters (``n_galaxies``, ``seed``, ...).
    out_dir : path
        Output folder (created if needed).
    executor : object with a ``map`` or ``imap_unordered`` method, optional
        Runs :func:`galaxy_job` over galaxy indices: the built-in ``map``
        (serial) when None; a :class:`metgrad.parallel.GalaxyExecutor` (its
        ``imap_unordered``, results re-ordered by index) or anything with a
        built-in-like ``map`` (e.g. ``concurrent.futures.ProcessPoolExecutor``).
        The files are byte-identical whichever runs.
    progress : callable, optional
        Called with no argument after each galaxy is written (e.g. a progress
        bar's ``update``).

    Returns
    -------
    SurveyResult
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    job = functools.partial(galaxy_job, config, str(out))
    indices = range(n_observations(config))
    tick = progress if progress is not None else (lambda: None)

    def ticking(results):
        for item in results:
            tick()
            yield item

    if executor is None:
        rows = list(ticking(map(job, indices)))
    elif hasattr(executor, "imap_unordered"):  # metgrad.parallel.GalaxyExecutor
        done = dict(ticking(executor.imap_unordered(job, ((i, i) for i in indices))))
        rows = [done[i] for i in indices]
    else:
        rows = list(ticking(executor.map(job, indices)))  # small dicts only

    observations = [draw_observation(config, i) for i in indices]
    write_atomic(out / DRPALL_NAME, fits_bytes(build_drpall_hdus(observations, config)))
    text, gswlc_rows = gswlc_text([g for g in observations if not g.repeat_of], config)
    write_atomic(out / GSWLC_NAME, text.encode())

    table = _rows_to_table(rows)
    write_atomic(out / "truth" / "galaxies.parquet", parquet_bytes(table))
    write_atomic(out / "truth" / "gswlc.parquet", parquet_bytes(_rows_to_table(gswlc_rows)))
    write_atomic(out / "truth" / "relations.json", relations_document(config).encode())
    toml_path = write_atomic(out / "survey.toml", survey_toml(config).encode())
    return SurveyResult(out_dir=out, galaxies=table, toml_path=toml_path)

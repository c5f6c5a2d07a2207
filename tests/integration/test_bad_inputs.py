"""Malformed inputs (issue #8): each fault gives one clear line, a failure row, or fewer spaxels.

The corpus is generated here and never committed. Every case starts from one valid galaxy
of the session's synthetic survey (``ingested_survey``, DR17 format) and breaks one thing:

- *unusable* faults (unreadable, truncated or foreign files, a missing extension, channel
  or header key, maps of disagreeing shapes, a mask of floats, a cube without what is
  needed, a galaxy the catalogues cannot place): ``metgrad galaxy`` exits 1 with one line
  ``metgrad galaxy: error: FILE: problem`` (no traceback), and ``metgrad ingest`` records
  the galaxy in ``failures.csv`` (the file it blames and the same problem) and finishes
  the others;
- *data-quality* faults (NaN, inf, negative or zero fluxes and inverse variances, an
  all-masked map, a NaN radius, EW or D4000): the galaxy is usable; exactly the affected
  spaxels fail the named cut, every other spaxel is unchanged, and no warning is raised.

Every ingest case is a clone of the source galaxy under a new plate-ifu (``9000-1xx``, its
own drpall row, the same GSWLC source), and all clones are ingested in one run beside the
valid survey. That run's valid galaxies must give byte-identical spaxel tables, the same
``galaxies.parquet`` rows and the same failures as the reference run without the faults.

Faults that make the whole input unusable (a catalogue without a needed column, an
unreadable catalogue, a bad ``survey.toml``) stop ``metgrad ingest`` with one line naming
the file and the problem, before anything is written.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import re
import shutil
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from astropy.io import fits
from astropy.table import Table

from metgrad.cli import main
from metgrad.config import RunConfig, load_config
from metgrad.io.errors import InputFileError
from metgrad.survey import run_ingest

DAPTYPE = "HYB10-MILESHC-MASTARSSP"
CLONE_PLATE = 9000
#: Spaxels (rows y, columns x) corrupted by the data-quality faults; the source galaxy's
#: maps are at least 32 x 32 and this block holds selected spaxels (checked).
BLOCK = (slice(10, 20), slice(10, 20))
NOCOV, DONOTUSE = 1 << 0, 1 << 30  # MANGA_DAPPIXMASK bits 0 and 30 (datamodel.md §2)
DIRECTORY = object()  # an edit returning this leaves a directory where the file should be
DEV_ZERO = object()  # ... a symlink to /dev/zero
FIFO = object()  # ... a named pipe (reading it would block for ever)
OTHER_CUBE = object()  # ... or the valid cube of a galaxy whose maps have another shape
SOURCE_PLATEIFU = "SOURCE"  # header placeholder for the source galaxy's plate-ifu
#: Failures found while matching files to galaxies, not by a reader: the reason is not
#: "FILE: problem", and a missing cube leaves only the MAPS file to name.
NOT_FROM_A_READER = {"cube-missing": "maps", "maps-two-files-one-galaxy": "maps"}
OK = "ok"  # the command must succeed


# --- how a file is broken ---------------------------------------------------------------


def fits_bytes(hdul: fits.HDUList) -> bytes:
    buffer = io.BytesIO()
    hdul.writeto(buffer)
    return buffer.getvalue()


def gz(raw: bytes) -> bytes:
    return gzip.compress(raw, compresslevel=1, mtime=0)


def plane(hdu, name: str) -> int:
    """0-based plane of the channel ``name`` (``Cn`` cards of MAPS, ``INDEXn`` of Pipe3D)."""
    for key, value in hdu.header.items():
        m = re.fullmatch(r"C(\d+)|INDEX(\d+)", key)
        if m and str(value).strip() == name:
            return int(m.group(1)) - 1 if m.group(1) else int(m.group(2))
    raise KeyError(name)


def remove(extname):
    def edit(hdul):
        del hdul[extname]

    return edit


def set_header(key, value, ext=0):
    def edit(hdul):
        if value is None:
            del hdul[ext].header[key]
        else:
            hdul[ext].header[key] = value

    return edit


def set_block(extname, channel, value):
    """``value`` in BLOCK of one channel (or of the whole 2-D/3-D extension if None)."""

    def edit(hdul):
        data = hdul[extname].data
        target = data if channel is None else data[plane(hdul[extname], channel)]
        target[(..., *BLOCK)] = value

    return edit


def scale_block(extname, channel, factor):
    def edit(hdul):
        i = plane(hdul[extname], channel)
        hdul[extname].data[(i, *BLOCK)] *= factor

    return edit


def rename_channel(old, new, extnames):
    def edit(hdul):
        for ext in extnames:
            header = hdul[ext].header
            for key, value in list(header.items()):
                if re.fullmatch(r"C\d+", key) and str(value).strip() == old:
                    header[key] = new

    return edit


def drop_channel_card(extname, channel):
    def edit(hdul):
        del hdul[extname].header[f"C{plane(hdul[extname], channel) + 1:02d}"]

    return edit


def reshape(extname, how):
    def edit(hdul):
        hdul[extname].data = how(hdul[extname].data)

    return edit


def retype(extname, dtype, nan_at=None):
    def edit(hdul):
        data = hdul[extname].data.astype(dtype)
        if nan_at is not None:
            data[nan_at] = np.nan
        hdul[extname].data = data

    return edit


def as_table(extname):
    def edit(hdul):
        table = fits.BinTableHDU.from_columns(
            [fits.Column("value", "E", array=np.zeros(3))], name=extname
        )
        hdul[hdul.index_of(extname)] = table

    return edit


def or_mask(extname, bits):
    def edit(hdul):
        hdul[extname].data |= bits

    return edit


def delete_keys(extname, pattern, keep_planes=None):
    def edit(hdul):
        header = hdul[extname].header
        for key in [k for k, v in header.items() if re.fullmatch(pattern, f"{k}={v}")]:
            del header[key]
        if keep_planes is not None:
            hdul[extname].data = hdul[extname].data[:keep_planes]

    return edit


def set_card(extname, key, value):
    def edit(hdul):
        hdul[extname].header[key] = value

    return edit


def raw_bytes(make: Callable[[bytes], bytes]):
    """An edit of the whole file's bytes: ``make(fits_stream) -> file content``."""

    def edit(hdul):
        return make(fits_bytes(hdul))

    return edit


def _set_card(raw: bytes, extname: str, key: str, value: str) -> bytes:
    """``raw`` with ``KEY = value`` (value text as given, unchecked) over a card of ``extname``.

    astropy refuses to write such headers, so the card is put into the byte stream.
    """
    for start in range(0, len(raw), 2880):  # every header starts a block
        if raw[start : start + 9] not in (b"SIMPLE  =", b"XTENSION="):
            continue
        cards = [raw[i : i + 80] for i in range(start, start + 2880 * 40, 80)]
        end = next(k for k, c in enumerate(cards) if c.startswith(b"END "))
        names = [c for c in cards[:end] if c.startswith(b"EXTNAME ")]
        if not names or names[0].split(b"'")[1].strip().decode() != extname:
            continue
        k = next(k for k, c in enumerate(cards[:end]) if c[:8].rstrip() == key.encode())
        card = f"{key:<8}= {value:>20}".ljust(80).encode()
        return raw[: start + 80 * k] + card + raw[start + 80 * k + 80 :]
    raise KeyError(extname)


def raw_card(extname: str, *cards: tuple[str, str] | str):
    """Cards ``(KEY, value text)`` written over ``extname``'s header in the byte stream."""
    pairs = [cards] if isinstance(cards[0], str) else cards

    def make(raw: bytes) -> bytes:
        for key, value in pairs:
            raw = _set_card(raw, extname, key, value)
        return gz(raw)

    return raw_bytes(make)


def bomb(raw: bytes) -> bytes:
    """A valid gzipped MAPS file followed by 48 gzip members of 64 MiB of zeros each.

    3 GiB once inflated from about 3 MB: the headers declare far less.
    """
    zeros = gzip.compress(bytes(64 << 20), compresslevel=9, mtime=0)
    return gz(raw) + zeros * 48


def duplicated(extname):
    def edit(hdul):
        copy = hdul[extname].copy()
        copy.data = copy.data + 1
        hdul.append(copy)

    return edit


def swap_channels(extname, a, b):
    def edit(hdul):
        header = hdul[extname].header
        ka = f"C{plane(hdul[extname], a) + 1:02d}"
        kb = f"C{plane(hdul[extname], b) + 1:02d}"
        header[ka], header[kb] = header[kb], header[ka]

    return edit


def unit(extname, bunit, factor=1.0):
    def edit(hdul):
        hdul[extname].header["BUNIT"] = bunit
        hdul[extname].data = hdul[extname].data * np.float32(factor)

    return edit


def edits(*many):
    def edit(hdul):
        for one in many:
            one(hdul)

    return edit


def flip_gzip_byte(raw: bytes) -> bytes:
    data = bytearray(gz(raw))
    data[len(data) // 2] ^= 0xFF
    return bytes(data)


RNG_BYTES = np.random.default_rng(8).bytes(40_000)
HTML_404 = b"<!DOCTYPE html><html><head><title>404 Not Found</title></head></html>\n"


# --- the corpus ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Fault:
    """One broken input and what metgrad must do with it.

    ``maps``/``cube`` edit the clone's HDUList in place (or return the file's bytes, or
    DIRECTORY or OTHER_CUBE); ``rows`` gives the clone's drpall rows and extra GSWLC lines from the
    source's. ``galaxy``/``ingest``: OK, or a regex of the problem (None: not applicable).
    ``blames``: the file the message must name. Data-quality faults say which spaxels
    (``removed``: "block" or "all") must fail ``cut``, or which columns become non-finite
    in the block while the selection is kept (``nonfinite``).
    """

    name: str
    maps: Callable | None = None
    cube: Callable | None = None
    rows: Callable | None = None
    galaxy: str | None = OK
    ingest: str = OK
    blames: str = "maps"
    removed: str | None = None
    cut: str | None = None
    nonfinite: tuple[str, ...] = ()
    maps_suffix: str = ".fits.gz"
    maps_copies: int = 1
    no_cube: bool = False


def unusable(name, problem, *, galaxy=True, **kw) -> Fault:
    return Fault(name, galaxy=problem if galaxy else None, ingest=problem, **kw)


def quality(name, removed, cut, **kw) -> Fault:
    return Fault(name, removed=removed, cut=cut, **kw)


GFLUX = ("EMLINE_GFLUX", "EMLINE_GFLUX_IVAR", "EMLINE_GFLUX_MASK")

MAPS_FILE_FAULTS = [
    unusable("maps-empty", r"file is empty", maps=raw_bytes(lambda raw: b"")),
    unusable("maps-gzip-cut-in-half", r"gzip stream is truncated",
             maps=raw_bytes(lambda raw: gz(raw)[: len(gz(raw)) // 2])),
    unusable("maps-random-bytes", r"not a FITS file", maps=raw_bytes(lambda raw: RNG_BYTES)),
    unusable("maps-gzipped-random-bytes", r"not a FITS file",
             maps=raw_bytes(lambda raw: gz(RNG_BYTES))),
    unusable("maps-gzip-magic-then-garbage", r"corrupt gzip stream",
             maps=raw_bytes(lambda raw: b"\x1f\x8b" + RNG_BYTES)),
    unusable("maps-gzip-flipped-byte", r"corrupt gzip stream", maps=raw_bytes(flip_gzip_byte)),
    unusable("maps-text-named-fits", r"not a FITS file", maps_suffix=".fits",
             maps=raw_bytes(lambda raw: b"plateifu,ra,dec\n8440-1902,200.2,2.7\n")),
    unusable("maps-html-error-page", r"not a FITS file", maps=raw_bytes(lambda raw: HTML_404)),
    unusable("maps-fits-cut-mid-block", r"truncated FITS file",
             maps=raw_bytes(lambda raw: gz(raw[: len(raw) // 2 + 1000]))),
    unusable("maps-fits-last-block-missing", r"truncated FITS file",
             maps=raw_bytes(lambda raw: gz(raw[:-2880]))),
    unusable("maps-is-a-directory", r"is a directory", maps=lambda hdul: DIRECTORY),
    # issue #18: files that must not hang, exhaust the memory or crash a survey
    unusable("maps-symlink-to-dev-zero", r"is a device or socket, not a regular file",
             maps=lambda hdul: DEV_ZERO),
    unusable("maps-fifo", r"is a FIFO, not a regular file", maps=lambda hdul: FIFO),
    unusable("maps-decompression-bomb", r"bytes follow the last HDU", maps=raw_bytes(bomb)),
    unusable("maps-NAXIS1-negative", r"HDU \d+: NAXIS1 = -5 is not >= 0",
             maps=raw_card("EMLINE_GFLUX", "NAXIS1", "-5")),
    unusable("maps-NAXIS-huge", r"NAXIS = 1099511627776 is not in \[0, 999\]",
             maps=raw_card("EMLINE_GFLUX", "NAXIS", "1099511627776")),
    unusable("maps-NAXISn-product-above-2**63", r"the headers declare \d{20,} bytes, more than",
             maps=raw_card("EMLINE_GFLUX", *((f"NAXIS{i}", "4294967296") for i in (1, 2, 3)))),
    unusable("maps-BITPIX-0", r"BITPIX = 0 is not one of 8, 16, 32, 64, -32, -64",
             maps=raw_card("EMLINE_GFLUX", "BITPIX", "0")),
    unusable("maps-XTENSION-nan-on-an-unused-extension",
             r"XTENSION = 'nan' is not a quoted extension type",
             maps=raw_card("SPECINDEX_MASK", "XTENSION", "nan")),
    unusable("maps-channel-card-unterminated-quote", r"unreadable channel card C03",
             maps=raw_card("EMLINE_GFLUX", "C03", "'H12-3751")),
]  # fmt: skip

MAPS_STRUCTURE_FAULTS = [
    unusable("maps-no-PLATEIFU", r"primary header lacks PLATEIFU",
             maps=set_header("PLATEIFU", None)),
    unusable("maps-REFF-not-a-number", r"REFF='abc' is not a number",
             maps=set_header("REFF", "abc")),
    *(unusable(f"maps-no-{ext}", rf"missing extension {ext}$", maps=remove(ext))
      for ext in ("SPX_ELLCOO", *GFLUX, "EMLINE_SFLUX", "EMLINE_SEW_IVAR")),
    unusable("maps-halpha-channel-renamed", r"EMLINE_GFLUX has no channel 'Ha-6564'",
             maps=rename_channel("Ha-6564", "Halpha", GFLUX)),
    unusable("maps-oiii-channel-card-missing", r"EMLINE_GFLUX has no channel 'OIII-5008'",
             maps=drop_channel_card("EMLINE_GFLUX", "OIII-5008")),
    unusable("maps-fewer-planes-than-channels", r"EMLINE_GFLUX names channel 25 but holds only 20",
             maps=reshape("EMLINE_GFLUX", lambda d: d[:20])),
    unusable("maps-ivar-shape-differs", r"EMLINE_GFLUX_IVAR channel \S+ has shape \(31, 32\)",
             maps=reshape("EMLINE_GFLUX_IVAR", lambda d: d[:, :-1, :])),
    unusable("maps-mask-shape-differs", r"EMLINE_GFLUX_MASK channel \S+ has shape \(32, 30\)",
             maps=reshape("EMLINE_GFLUX_MASK", lambda d: d[:, :, 2:])),
    unusable("maps-sew-shape-differs", r"EMLINE_SEW channel Ha-6564 has shape \(30, 30\)",
             maps=reshape("EMLINE_SEW", lambda d: d[:, 1:-1, 1:-1])),
    unusable("maps-ellcoo-not-a-stack", r"SPX_ELLCOO is not a 3-D channel stack",
             maps=reshape("SPX_ELLCOO", lambda d: d[1])),
    unusable("maps-gflux-without-data", r"extension EMLINE_GFLUX has no data",
             maps=reshape("EMLINE_GFLUX", lambda d: None)),
    unusable("maps-gflux-4d", r"EMLINE_GFLUX has 4 dimensions",
             maps=reshape("EMLINE_GFLUX", lambda d: d[None])),
    unusable("maps-gflux-is-a-table", r"EMLINE_GFLUX has 1 dimensions",
             maps=as_table("EMLINE_GFLUX")),
    unusable("maps-mask-of-floats", r"EMLINE_GFLUX_MASK holds float32 values, expected integer",
             maps=retype("EMLINE_GFLUX_MASK", np.float32, nan_at=(0, 5, 5))),
    unusable("maps-nothing-covered", r"no covered spaxels",
             maps=or_mask("EMLINE_GFLUX_MASK", NOCOV)),
    # identity: ingest checks the header against the file name; the quick look trusts the header
    unusable("maps-PLATEIFU-of-another-galaxy", r"PLATEIFU 8440-\d+ in the header, 9000-\d+",
             galaxy=False, maps=set_header("PLATEIFU", SOURCE_PLATEIFU)),
    # issue #18: units, duplicated extensions, channel lists, identity
    unusable("maps-flux-in-erg", r"EMLINE_GFLUX has BUNIT 'erg/s/cm\^2/spaxel', expected "
             r"'1E-17 erg/s/cm\^2/spaxel'", maps=unit("EMLINE_GFLUX", "erg/s/cm^2/spaxel", 1e-17)),
    unusable("maps-ivar-in-other-units", r"EMLINE_SFLUX_IVAR has BUNIT '\(erg/s/cm\^2\)\^\{-2\}'",
             maps=unit("EMLINE_SFLUX_IVAR", "(erg/s/cm^2)^{-2}")),
    unusable("maps-ew-in-nm", r"EMLINE_SEW has BUNIT 'nm', expected 'ang'",
             maps=unit("EMLINE_SEW", "nm", 0.1)),
    unusable("maps-gflux-twice", r"2 extensions are named EMLINE_GFLUX$",
             maps=duplicated("EMLINE_GFLUX")),
    unusable("maps-ivar-channels-swapped", r"EMLINE_GFLUX_IVAR channels differ from "
             r"EMLINE_GFLUX's \(plane \d+: 'Hb-4862' and 'Ha-6564'\)",
             maps=swap_channels("EMLINE_GFLUX_IVAR", "Hb-4862", "Ha-6564")),
    unusable("maps-DAPTYPE-of-another-file", r"DAPTYPE HYB10-GAU-MILESHC in the header, "
             f"{DAPTYPE} in the name", galaxy=False,
             maps=set_header("DAPTYPE", "HYB10-GAU-MILESHC")),
    unusable("maps-OBJDEC-of-another-galaxy", r"OBJRA/OBJDEC \S+ \S+ are not 9000-\d+'s drpall",
             galaxy=False, maps=lambda hdul: hdul[0].header.set("OBJDEC",
                                                                 hdul[0].header["OBJDEC"] + 1)),
    # header values only the quick look uses (ingest takes z and b/a from drpall)
    Fault("maps-no-SCINPVEL", galaxy=r"no SCINPVEL in the header; give --z",
          maps=set_header("SCINPVEL", None), removed="none", cut="mask"),
    Fault("maps-ECOOELL-above-1", galaxy=r"ECOOELL gives b/a = -0.5, not in \(0, 1\]",
          maps=set_header("ECOOELL", 1.5), removed="none", cut="mask"),
]  # fmt: skip

MAPS_QUALITY_FAULTS = [
    quality("maps-halpha-nan", "block", "snr", maps=set_block("EMLINE_GFLUX", "Ha-6564", np.nan)),
    quality("maps-hbeta-plus-inf", "block", "snr",
            maps=set_block("EMLINE_GFLUX", "Hb-4862", np.inf)),
    quality("maps-oiii-minus-inf", "block", "snr",
            maps=set_block("EMLINE_GFLUX", "OIII-5008", -np.inf)),
    quality("maps-nii-negative", "block", "snr",
            maps=scale_block("EMLINE_GFLUX", "NII-6585", -1.0)),
    quality("maps-oii3727-plus-inf", "block", "snr",
            maps=set_block("EMLINE_GFLUX", "OII-3727", np.inf)),
    quality("maps-ivar-nan", "block", "snr",
            maps=set_block("EMLINE_GFLUX_IVAR", "Hb-4862", np.nan)),
    quality("maps-ivar-plus-inf", "block", "snr",
            maps=set_block("EMLINE_GFLUX_IVAR", "OII-3729", np.inf)),
    quality("maps-ivar-negative", "block", "snr",
            maps=scale_block("EMLINE_GFLUX_IVAR", "Ha-6564", -1.0)),
    quality("maps-ivar-zero-everywhere", "all", "snr",
            maps=reshape("EMLINE_GFLUX_IVAR", np.zeros_like)),
    quality("maps-all-masked-donotuse", "all", "mask",
            maps=or_mask("EMLINE_GFLUX_MASK", DONOTUSE)),
    quality("maps-ew-nan", "block", "ew", maps=set_block("EMLINE_SEW", "Ha-6564", np.nan)),
    quality("maps-ew-plus-inf", "block", "ew", maps=set_block("EMLINE_SEW", "Ha-6564", np.inf)),
    quality("maps-radius-nan", "block", "radius", maps=set_block("SPX_ELLCOO", "R/Re", np.nan)),
    # types other than the DAP's: read as numbers, nothing changes
    quality("maps-flux-as-float64", "none", "mask",
            maps=retype("EMLINE_GFLUX", np.float64)),
    quality("maps-mask-as-int64", "none", "mask", maps=retype("EMLINE_GFLUX_MASK", np.int64)),
]  # fmt: skip

CUBE_FAULTS = [
    unusable("cube-empty", r"file is empty", blames="cube", cube=raw_bytes(lambda raw: b"")),
    unusable("cube-gzip-cut-in-half", r"gzip stream is truncated", blames="cube",
             cube=raw_bytes(lambda raw: gz(raw)[: len(gz(raw)) // 2])),
    unusable("cube-random-bytes", r"not a FITS file", blames="cube",
             cube=raw_bytes(lambda raw: RNG_BYTES)),
    unusable("cube-no-INDICES", r"missing extension INDICES$", blames="cube",
             cube=remove("INDICES")),
    unusable("cube-no-SSP", r"missing extension SSP$", blames="cube", cube=remove("SSP")),
    unusable("cube-ssp-not-a-stack", r"SSP is not a 3-D plane stack", blames="cube",
             cube=reshape("SSP", lambda d: d[0])),
    unusable("cube-indices-not-a-stack", r"INDICES is not a 3-D plane stack", blames="cube",
             cube=reshape("INDICES", lambda d: d[5])),
    unusable("cube-ssp-3-planes-no-descriptions", r"SSP has 3 planes and no DESC_i keys",
             blames="cube", cube=delete_keys("SSP", r"DESC_\d+=.*", keep_planes=3)),
    unusable("cube-ssp-no-dust-corrected-mass", r"no plane described as log_mass_density_dust",
             blames="cube", cube=delete_keys("SSP", r"DESC_\d+=.*dust corrected")),
    unusable("cube-indices-d4000-renamed", r"INDICES has no D4000 plane", blames="cube",
             cube=set_card("INDICES", "INDEX5", "Dn4000")),
    unusable("cube-indices-no-d4000-error", r"INDICES has no D4000 error plane", blames="cube",
             cube=set_card("INDICES", "INDEX13", "unused_13")),
    unusable("cube-select-reg-shape-differs", r"SELECT_REG has shape \(31, 32\)", blames="cube",
             cube=reshape("SELECT_REG", lambda d: d[:-1])),
    unusable("cube-ssp-and-indices-differ", r"SSP maps \(32, 32\) and INDICES maps \(32, 31\)",
             blames="cube", cube=reshape("INDICES", lambda d: d[:, :, 1:])),
    unusable("cube-of-another-galaxy",
             r"PLATEIFU \d+-\d+ in the header: the cube of another galaxy than manga-9",
             blames="cube", cube=lambda hdul: OTHER_CUBE),
    unusable("cube-missing", r"file not found|no Pipe3D cube", blames="cube", no_cube=True),
    # issue #18: the cube of another galaxy of the same shape; cubes that say nothing
    unusable("cube-PLATEIFU-of-another-galaxy-same-shape",
             r"PLATEIFU 8440-1901 in the header: the cube of another galaxy than manga-9",
             blames="cube", cube=set_header("PLATEIFU", "8440-1901")),
    unusable("cube-elsewhere-without-PLATEIFU", r"OBJRA/OBJDEC \S+ \S+ are not 9000-\d+'s",
             galaxy=False, blames="cube",
             cube=edits(set_header("PLATEIFU", None),
                        lambda h: h[0].header.set("OBJDEC", h[0].header["OBJDEC"] - 1))),
    unusable("cube-without-identity", r"no PLATEIFU or OBJRA/OBJDEC in the primary header",
             blames="cube", cube=edits(*(set_header(k, None)
                                         for k in ("PLATEIFU", "OBJRA", "OBJDEC")))),
    unusable("cube-SSP-NAXIS1-negative", r"NAXIS1 = -5 is not >= 0", blames="cube",
             cube=raw_card("SSP", "NAXIS1", "-5")),
    quality("cube-d4000-nan", "block", "d4000", cube=set_block("INDICES", "D4000", np.nan)),
    quality("cube-d4000-plus-inf", "block", "d4000", cube=set_block("INDICES", "D4000", np.inf)),
    # no cut uses Sigma_* or t_LW: the spaxels stay selected with NaN values; the analysis
    # drops spaxels without finite model predictions
    Fault("cube-ssp-nan", removed="none", cut="mask", cube=set_block("SSP", None, np.nan),
          nonfinite=("sigma_star", "ssfr_local", "av_over_sigma_star", "log_age_lw")),
]  # fmt: skip


def _drop(row, gswlc):
    return [], []


def _twice(row, gswlc):
    return [row, dict(row)], []


def _moved(row, gswlc):
    return [{**row, "objdec": row["objdec"] + 0.05}], []  # 3 arcmin from any GSWLC source


def _mass_missing(row, gswlc):
    ra, dec = row["objra"] + 0.2, row["objdec"]
    fields = gswlc.split()
    fields[5], fields[6], fields[9] = f"{ra:.7f}", f"{dec:.7f}", "-99"
    return [{**row, "objra": ra}], [" ".join(fields)]


def _set(column, value):
    def rows(row, gswlc):
        return [{**row, column: value}], []

    return rows


CATALOG_FAULTS = [
    unusable("drpall-galaxy-absent", r"^galaxy not in drpall$", galaxy=False, blames="drpall",
             rows=_drop),
    unusable("drpall-plateifu-listed-twice", r"^plate-ifu listed 2 times in drpall$",
             galaxy=False, blames="drpall", rows=_twice),
    unusable("drpall-redshift-missing", r"redshift nan is not a positive number", galaxy=False,
             blames="drpall", rows=_set("nsa_z", -9999.0)),
    unusable("drpall-axis-ratio-missing", r"axis ratio b/a nan is not in \(0, 1\]",
             galaxy=False, blames="drpall", rows=_set("nsa_elpetro_ba", -9999.0)),
    unusable("gswlc-galaxy-absent", r"^no GSWLC-2X source within 3 arcsec$", galaxy=False,
             blames="gswlc", rows=_moved),
    unusable("gswlc-mass-missing", r"^GSWLC-2X stellar mass missing \(-99\)$", galaxy=False,
             blames="gswlc", rows=_mass_missing),
    unusable("maps-two-files-one-galaxy", r"^2 MAPS files for this plate-ifu$", galaxy=False,
             maps_copies=2),
    unusable("drpall-dec-out-of-range", r"^drpall position \(objra, objdec\) missing or out of "
             r"range$", galaxy=False, blames="drpall", rows=_set("objdec", 100.0)),
]  # fmt: skip

GALAXY_FAULTS = MAPS_FILE_FAULTS + MAPS_STRUCTURE_FAULTS + MAPS_QUALITY_FAULTS + CUBE_FAULTS
INGEST_FAULTS = GALAXY_FAULTS + CATALOG_FAULTS


def params(faults):
    return [pytest.param(f, id=f.name) for f in faults]


# --- building the corpus ----------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """The valid galaxy every clone starts from, and what the reference run made of it."""

    plateifu: str
    maps_raw: bytes
    cube_raw: bytes
    other_cube: Path  # a valid cube of a galaxy with maps of another shape
    drpall_row: dict
    gswlc_line: str
    table: pd.DataFrame  # its spaxel table in the reference run


def _pick_source(survey) -> Source:
    galaxies = pd.read_parquet(survey.run / "galaxies.parquet")
    # the smallest bundle with plenty of selected spaxels: quick, and cuts can remove some
    rich = galaxies[galaxies["n_selected"] >= 100].sort_values(["n_covered", "plateifu"])
    plateifu = str(rich["plateifu"].iloc[0])
    plate, ifu = plateifu.split("-")
    maps = survey.root / f"maps/{DAPTYPE}/{plate}/{ifu}/manga-{plateifu}-MAPS-{DAPTYPE}.fits.gz"
    cube = survey.root / f"pipe3d/{plate}/manga-{plateifu}.Pipe3D.cube.fits.gz"
    maps_raw = gzip.decompress(maps.read_bytes())
    shape = fits.getdata(io.BytesIO(maps_raw), "SPX_SNR").shape
    other = next(
        p
        for p in sorted((survey.root / "pipe3d").rglob("*.Pipe3D.cube.fits.gz"))
        if fits.getdata(p, "SELECT_REG").shape != shape
    )
    drpall = Table.read(survey.root / "drpall-v3_1_1.fits", hdu="MANGA")
    row = drpall[np.char.strip(drpall["plateifu"].astype(str)) == plateifu][0]
    row = {c: row[c] for c in drpall.colnames}
    lines = (survey.root / "GSWLC-X2.dat").read_text().splitlines()
    radec = np.array([[float(x) for x in line.split()[5:7]] for line in lines])
    sep = np.hypot((radec[:, 0] - row["objra"]) * np.cos(np.radians(row["objdec"])),
                   radec[:, 1] - row["objdec"])  # fmt: skip
    return Source(
        plateifu=plateifu,
        maps_raw=maps_raw,
        cube_raw=gzip.decompress(cube.read_bytes()),
        other_cube=other,
        drpall_row=row,
        gswlc_line=lines[int(np.argmin(sep))],
        table=pd.read_parquet(survey.run / "spaxels" / f"{plateifu}.parquet"),
    )


def _write(path: Path, content) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if content is DIRECTORY:
        path.mkdir()
    elif content is DEV_ZERO:
        path.symlink_to("/dev/zero")
    elif content is FIFO:
        os.mkfifo(path)
    else:
        path.write_bytes(content)


def _edited(raw: bytes, edit, source: Source, plateifu: str | None):
    hdul = fits.open(io.BytesIO(raw))
    if plateifu is not None:
        hdul[0].header["PLATEIFU"] = plateifu
    out = edit(hdul) if edit is not None else None
    if out is OTHER_CUBE:
        return source.other_cube.read_bytes()
    if out is None:
        if hdul[0].header.get("PLATEIFU") == SOURCE_PLATEIFU:
            hdul[0].header["PLATEIFU"] = source.plateifu
        return gz(fits_bytes(hdul))
    return out


@dataclass(frozen=True)
class Clone:
    plateifu: str
    maps: Path
    cube: Path


def write_clone(fault: Fault, index: int, root: Path, source: Source) -> Clone:
    """The fault's MAPS file and cube under ``root`` (DR17 SAS layout) for plate-ifu 9000-1xx."""
    ifu = 101 + index
    plateifu = f"{CLONE_PLATE}-{ifu}"
    name = f"manga-{plateifu}-MAPS-{DAPTYPE}{fault.maps_suffix}"
    maps = root / f"maps/{DAPTYPE}/{CLONE_PLATE}/{ifu}/{name}"
    content = _edited(source.maps_raw, fault.maps, source, plateifu)
    _write(maps, content)
    for copy in range(1, fault.maps_copies):
        _write(root / f"maps/{DAPTYPE}/{CLONE_PLATE}/{ifu}-copy{copy}/{name}", content)
    cube = root / f"pipe3d/{CLONE_PLATE}/manga-{plateifu}.Pipe3D.cube.fits.gz"
    if not fault.no_cube:
        _write(cube, _edited(source.cube_raw, fault.cube, source, plateifu))
    return Clone(plateifu, maps, cube)


@dataclass(frozen=True)
class FaultyRun:
    source: Source
    clones: dict[str, Clone]
    run: Path
    reference: Path
    drpall: Path
    gswlc: Path
    warnings: list


@pytest.fixture(scope="module")
def faulty_run(ingested_survey, tmp_path_factory) -> FaultyRun:
    """The valid survey plus one clone per fault, ingested in one serial run."""
    source = _pick_source(ingested_survey)
    root = tmp_path_factory.mktemp("bad_inputs")
    for folder in ("maps", "pipe3d"):
        shutil.copytree(ingested_survey.root / folder, root / folder)
    drpall = Table.read(ingested_survey.root / "drpall-v3_1_1.fits", hdu="MANGA")
    gswlc_lines = (ingested_survey.root / "GSWLC-X2.dat").read_text().splitlines()
    clones = {}
    for i, fault in enumerate(INGEST_FAULTS):
        clone = clones[fault.name] = write_clone(fault, i, root, source)
        ifu = clone.plateifu.split("-")[1]
        row = {**source.drpall_row, "plateifu": clone.plateifu, "mangaid": f"9-{ifu}",
               "plate": CLONE_PLATE, "ifudsgn": ifu}  # fmt: skip
        rows, extra = (fault.rows or (lambda r, g: ([r], [])))(row, source.gswlc_line)
        for r in rows:
            drpall.add_row([r[c] for c in drpall.colnames])
        gswlc_lines += extra
    fits.HDUList([fits.PrimaryHDU(), fits.BinTableHDU(drpall, name="MANGA")]).writeto(
        root / "drpall-v3_1_1.fits"
    )
    (root / "GSWLC-X2.dat").write_text("\n".join(gswlc_lines) + "\n")
    toml = root / "survey.toml"
    toml.write_text(
        '[inputs]\ndrpall = "drpall-v3_1_1.fits"\ngswlc = "GSWLC-X2.dat"\n'
        f'maps = "maps"\npipe3d = "pipe3d"\ndaptype = "{DAPTYPE}"\n[output]\ndir = "run"\n'
    )
    config = load_config(toml)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run_ingest(config, workers=1, progress=False)
    return FaultyRun(
        source=source,
        clones=clones,
        run=root / "run",
        reference=ingested_survey.run,
        drpall=root / "drpall-v3_1_1.fits",
        gswlc=root / "GSWLC-X2.dat",
        warnings=[str(w.message) for w in caught],
    )


def _block_mask(table: pd.DataFrame, removed: str | None) -> np.ndarray:
    """True for the rows of spaxels the fault corrupted."""
    if removed == "all":
        return np.ones(len(table), dtype=bool)
    if removed == "block":
        ys, xs = BLOCK
        return (
            table["y"].between(ys.start, ys.stop - 1) & table["x"].between(xs.start, xs.stop - 1)
        ).to_numpy()
    return np.zeros(len(table), dtype=bool)


def test_corpus_is_large_and_named_once():
    names = [f.name for f in INGEST_FAULTS]
    assert len(names) == len(set(names))
    assert len(names) >= 50


# --- metgrad ingest -----------------------------------------------------------------------


def test_ingest_of_the_corpus_leaves_valid_galaxies_unchanged(faulty_run):
    """Byte-identical spaxel tables, the same galaxy rows and failures as without the faults."""
    assert faulty_run.warnings == []
    reference = faulty_run.reference
    ref_tables = sorted(p.name for p in (reference / "spaxels").glob("*.parquet"))
    assert len(ref_tables) >= 5
    for name in ref_tables:
        got = (faulty_run.run / "spaxels" / name).read_bytes()
        assert got == (reference / "spaxels" / name).read_bytes(), name
    want = pd.read_parquet(reference / "galaxies.parquet")
    got = pd.read_parquet(faulty_run.run / "galaxies.parquet")
    got = got[got["plateifu"].isin(want["plateifu"])].reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want)
    ref_fail = pd.read_csv(reference / "failures.csv", dtype=str)
    fail = pd.read_csv(faulty_run.run / "failures.csv", dtype=str)
    kept = fail[fail["plateifu"].isin(ref_fail["plateifu"])].reset_index(drop=True)
    pd.testing.assert_frame_equal(kept, ref_fail)
    # every other row is a clone expected to fail, once
    extra = fail.loc[~fail["plateifu"].isin(ref_fail["plateifu"]), "plateifu"]
    failing = [faulty_run.clones[f.name].plateifu for f in INGEST_FAULTS if f.ingest != OK]
    assert sorted(extra) == sorted(failing)


def _file_of(blames: str, clone: Clone, run: FaultyRun) -> Path:
    return {"maps": clone.maps, "cube": clone.cube, "drpall": run.drpall, "gswlc": run.gswlc}[
        blames
    ]


@pytest.mark.parametrize("fault", params([f for f in INGEST_FAULTS if f.ingest != OK]))
def test_ingest_records_an_unusable_galaxy(faulty_run, fault):
    clone = faulty_run.clones[fault.name]
    fail = pd.read_csv(faulty_run.run / "failures.csv", dtype=str, keep_default_na=False)
    rows = fail[fail["plateifu"] == clone.plateifu]
    assert len(rows) == 1
    row = rows.iloc[0]
    blames = NOT_FROM_A_READER.get(fault.name, fault.blames)
    named = _file_of(blames, clone, faulty_run).name
    assert row["file"] == named
    reason = row["reason"]
    assert "\n" not in reason and "Traceback" not in reason
    if fault.blames in ("maps", "cube") and fault.name not in NOT_FROM_A_READER:
        assert reason.startswith(f"{named}: "), reason
    assert re.search(fault.ingest, reason), reason
    assert not (faulty_run.run / "spaxels" / f"{clone.plateifu}.parquet").exists()


#: Spaxel columns made from the whole Sigma_* map of the galaxy (learn, issue #16).
WHOLE_MAP_COLUMNS = ("v_esc",)


def _compare_whole_map(fault: Fault, table: pd.DataFrame, ref: pd.DataFrame) -> list[str]:
    """Check the whole-map columns of a fault that loses stellar masses; return them.

    A block of lost masses changes v_esc everywhere: the lost mass joins the shell at
    the map's edge (M* is unchanged), so inside the edge v_esc can only fall.
    """
    if "sigma_star" not in (fault.nonfinite or ()):
        return []
    assert np.isfinite(table["v_esc"]).all()
    assert (table["v_esc"] <= ref["v_esc"] * (1 + 1e-12)).all()
    assert (table["v_esc"] < ref["v_esc"]).any()
    return list(WHOLE_MAP_COLUMNS)


def _compare_with_source(fault: Fault, table: pd.DataFrame, source: Source) -> None:
    """The corrupted spaxels fail ``fault.cut`` (or keep NaNs); every other value is unchanged."""
    ref = source.table
    whole_map = _compare_whole_map(fault, table, ref)
    columns = [c for c in table.columns if c != "plateifu" and c not in whole_map]
    assert table[["x", "y"]].equals(ref[["x", "y"]])
    hit = _block_mask(ref, "block" if fault.nonfinite else fault.removed)
    if hit.any():  # the fault reaches spaxels that were selected, so it can remove them
        assert ref["selected"][hit].sum() >= 10
    if fault.removed in ("block", "all"):
        assert not table["ok_" + fault.cut][hit].any()
        assert not table["selected"][hit].any()
    else:
        assert table["selected"].equals(ref["selected"])
    if fault.nonfinite:
        assert not np.isfinite(table.loc[hit, list(fault.nonfinite)].to_numpy()).any()
        others = [c for c in columns if c not in fault.nonfinite]  # whole-map columns left out
        pd.testing.assert_frame_equal(table[others], ref[others])
    pd.testing.assert_frame_equal(
        table.loc[~hit, columns].reset_index(drop=True),
        ref.loc[~hit, columns].reset_index(drop=True),
    )


@pytest.mark.parametrize("fault", params([f for f in INGEST_FAULTS if f.ingest == OK]))
def test_ingest_keeps_a_galaxy_with_bad_values(faulty_run, fault):
    clone = faulty_run.clones[fault.name]
    table = pd.read_parquet(faulty_run.run / "spaxels" / f"{clone.plateifu}.parquet")
    _compare_with_source(fault, table, faulty_run.source)
    galaxies = pd.read_parquet(faulty_run.run / "galaxies.parquet").set_index("plateifu")
    assert galaxies.loc[clone.plateifu, "n_selected"] == table["selected"].sum()


# --- metgrad galaxy -----------------------------------------------------------------------


def _galaxy(clone: Clone, capsys, *extra) -> tuple[int, str, str, list]:
    args = ["galaxy", str(clone.maps), "--pipe3d", str(clone.cube), "--json", *extra]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        status = main(args)
    out, err = capsys.readouterr()
    return status, out, err, [str(w.message) for w in caught]


@pytest.mark.parametrize("fault", params([f for f in GALAXY_FAULTS if f.galaxy not in (OK, None)]))
def test_galaxy_command_names_the_file_and_the_problem(faulty_run, fault, capsys):
    clone = faulty_run.clones[fault.name]
    status, out, err, caught = _galaxy(clone, capsys)
    named = _file_of(fault.blames, clone, faulty_run).name
    assert status == 1 and out == "" and caught == []
    assert err.endswith("\n") and err.count("\n") == 1, err
    assert "Traceback" not in err
    prefix = f"metgrad galaxy: error: {named}: "
    assert err.startswith(prefix), err
    assert re.search(fault.galaxy, err[len(prefix) :]), err


@pytest.mark.parametrize("fault", params([f for f in GALAXY_FAULTS if f.galaxy == OK]))
def test_galaxy_command_keeps_a_galaxy_with_bad_values(faulty_run, fault, capsys):
    clone = faulty_run.clones[fault.name]
    status, out, err, caught = _galaxy(clone, capsys)
    assert (status, err, caught) == (0, "", [])
    summary = json.loads(out)
    ref = faulty_run.source.table
    # the cut flags do not depend on z or b/a, which the quick look takes from the header
    expected = int((ref["selected"] & ~_block_mask(ref, fault.removed)).sum())
    assert summary["cuts"]["selected"] == expected
    assert summary["cuts"]["covered"] == len(ref)
    for key in ("M13_O3N2", "PG16_R"):
        if expected >= 20:
            assert summary[key]["slope"] is not None
        else:  # an all-masked map: a galaxy without a gradient, not an error
            entry = {k: v for k, v in summary[key].items() if k not in ("key", "scale", "branches")}
            assert entry == {
                "n_spaxels": 0, "slope": None, "slope_err": None, "intercept": None,
                "note": "fewer than 20 selected spaxels",
            }  # fmt: skip


def test_galaxy_command_all_masked_text_and_png(faulty_run, capsys, tmp_path):
    """The text report and the figure of a galaxy without selected spaxels: no warnings."""
    clone = faulty_run.clones["maps-all-masked-donotuse"]
    png = tmp_path / "masked.png"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        status = main(["galaxy", str(clone.maps), "--png", str(png)])
    out, err = capsys.readouterr()
    assert (status, err, [str(w.message) for w in caught]) == (0, "", [])
    assert "selected: 0" in out and "fewer than 20 selected spaxels" in out
    assert png.stat().st_size > 1000


def test_debug_shows_the_exception(faulty_run):
    clone = faulty_run.clones["maps-halpha-channel-renamed"]
    with pytest.raises(InputFileError, match="has no channel 'Ha-6564'"):
        main(["galaxy", str(clone.maps), "--json", "--debug"])


# --- the real DR15 file -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("gzip-cut", r"gzip stream is truncated"),
        ("halpha-renamed", r"EMLINE_GFLUX has no channel 'Ha-6564' \(channels: OII-3727, "),
        ("no-emline-sew", r"missing extension EMLINE_SEW$"),
    ],
)
def test_real_dr15_file_faults(real_maps_dr15, tmp_path, capsys, name, problem):
    bad = tmp_path / f"manga-7815-3702-MAPS-{name}.fits"
    if name == "gzip-cut":
        raw = real_maps_dr15.read_bytes()
        bad.write_bytes(raw[: len(raw) * 2 // 3])
    else:
        with fits.open(real_maps_dr15) as hdul:
            if name == "halpha-renamed":
                rename_channel("Ha-6564", "Ha-6563", GFLUX)(hdul)
            else:
                remove("EMLINE_SEW")(hdul)
            hdul.writeto(bad)
    assert main(["galaxy", str(bad), "--json"]) == 1
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    prefix = f"metgrad galaxy: error: {bad.name}: "
    assert err.startswith(prefix) and re.search(problem, err[len(prefix) :]), err


# --- faults that stop the whole run -------------------------------------------------------


def _drpall_table(survey) -> Table:
    return Table.read(survey.root / "drpall-v3_1_1.fits", hdu="MANGA")


def _write_drpall(table, path):
    fits.HDUList([fits.PrimaryHDU(), fits.BinTableHDU(table, name="MANGA")]).writeto(path)


def _drpall_without(column):
    def make(survey, path):
        t = _drpall_table(survey)
        t.remove_column(column)
        _write_drpall(t, path)

    return make


def _drpall_text_ra(survey, path):
    t = _drpall_table(survey)
    t["objra"] = [f"{x:.6f}" for x in t["objra"]]
    _write_drpall(t, path)


def _gswlc_lines(edit):
    def make(survey, path):
        lines = (survey.root / "GSWLC-X2.dat").read_text().splitlines()
        path.write_text("".join(edit(line.split()) + "\n" for line in lines))

    return make


def _copy_as(content):
    def make(survey, path):
        if content is not None:
            path.write_bytes(content)

    return make


WHOLE_RUN_FAULTS = {
    # name: (file broken, how, problem); the config keeps the real survey's other files
    "drpall-no-axis-ratio-column": ("drpall", _drpall_without("nsa_elpetro_ba"),
                                    r"missing column\(s\) nsa_elpetro_ba$"),
    "drpall-no-plateifu-column": ("drpall", _drpall_without("plateifu"),
                                  r"missing column\(s\) plateifu$"),
    "drpall-ra-as-text": ("drpall", _drpall_text_ra, r"column objra holds text, expected numbers"),
    "drpall-no-table": ("drpall", lambda s, p: fits.PrimaryHDU().writeto(p),
                        r"no table HDU \(expected MANGA\)"),
    "drpall-text-file": ("drpall", _copy_as(b"plateifu ra dec\n"), r"not a FITS file"),
    "drpall-empty": ("drpall", _copy_as(b""), r"file is empty"),
    "drpall-missing": ("drpall", _copy_as(None), r"file not found"),
    "gswlc-23-columns": ("gswlc", _gswlc_lines(lambda f: " ".join(f[:23])),
                         r"has 23 columns, GSWLC-2X has 24"),
    "gswlc-text-in-a-column": ("gswlc", _gswlc_lines(lambda f: " ".join([*f[:9], "abc", *f[10:]])),
                               r"not a 24-column GSWLC table"),
    "gswlc-empty": ("gswlc", _copy_as(b""), r"file is empty"),
    "gswlc-missing": ("gswlc", _copy_as(None), r"file not found"),
}  # fmt: skip

CONFIG_FAULTS = {
    # name: (extra TOML, problem); the survey.toml is named in every message
    "toml-unknown-key": ("[selection]\nsnr = 3\n",
                         r"unknown key selection.snr; allowed keys in \[selection\]: snr_min, "),
    "toml-unknown-section": ("[selectoin]\nsnr_min = 3\n",
                             r"unknown section \[selectoin\]; allowed sections: (\w+, )*gradients, (\w+, )*selection"),
    "toml-text-for-number": ('[selection]\nsnr_min = "3"\n',
                             r"selection.snr_min must be a number, got '3'"),
    "toml-bool-for-number": ("[physics]\nh0 = true\n", r"physics.h0 must be a number, got True"),
    "toml-float-for-integer": ("[selection]\nmin_spaxels = 20.5\n",
                               r"selection.min_spaxels must be an integer, got 20.5"),
    "toml-out-of-range": ("[selection]\nba_min = 1.5\n",
                          r"selection.ba_min = 1.5 is outside the allowed range \[0.0, 1.0\]"),
    "toml-nan-threshold": ("[selection]\new_ha_min = nan\n",
                           r"selection.ew_ha_min must be a finite number, got nan"),
    "toml-inf-threshold": ("[selection]\nsnr_min = inf\n",
                           r"selection.snr_min must be a finite number, got inf"),
    "toml-min-above-max": ("[selection]\nr_re_min = 2.5\n",
                           r"selection.r_re_min = 2.5 must be below selection.r_re_max = 2.0"),
    "toml-section-not-a-table": ("models = 3\n", r"\[models\] must be a table"),
    "toml-not-toml": ("[selection\n", r"not valid TOML"),
}  # fmt: skip


def _survey_toml(survey, folder: Path, *, extra="", maps=None, daptype=DAPTYPE) -> Path:
    maps = survey.root / "maps" if maps is None else maps
    toml = folder / "survey.toml"
    toml.write_text(
        f'{extra}\n[inputs]\ndrpall = "drpall.fits"\ngswlc = "gswlc.dat"\n'
        f'maps = "{maps}"\npipe3d = "{survey.root / "pipe3d"}"\ndaptype = "{daptype}"\n'
        '[output]\ndir = "run"\n'
    )
    return toml


def _copy_catalogs(survey, folder: Path) -> None:
    shutil.copy(survey.root / "drpall-v3_1_1.fits", folder / "drpall.fits")
    shutil.copy(survey.root / "GSWLC-X2.dat", folder / "gswlc.dat")


def _ingest_fails(toml: Path, capsys) -> str:
    status = main(["ingest", str(toml), "--no-progress"])
    out, err = capsys.readouterr()
    assert status == 1 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert not (toml.parent / "run" / "galaxies.parquet").exists()
    assert not (toml.parent / "run" / "failures.csv").exists()
    return err


@pytest.mark.parametrize(("which", "make", "problem"), list(WHOLE_RUN_FAULTS.values()),
                         ids=list(WHOLE_RUN_FAULTS))  # fmt: skip
def test_unusable_catalog_stops_ingest(ingested_survey, tmp_path, capsys, which, make, problem):
    _copy_catalogs(ingested_survey, tmp_path)
    target = tmp_path / ("drpall.fits" if which == "drpall" else "gswlc.dat")
    target.unlink()
    make(ingested_survey, target)
    err = _ingest_fails(_survey_toml(ingested_survey, tmp_path), capsys)
    prefix = f"metgrad ingest: error: {target.name}: "
    assert err.startswith(prefix) and re.search(problem, err[len(prefix) :]), err


@pytest.mark.parametrize(("extra", "problem"), list(CONFIG_FAULTS.values()),
                         ids=list(CONFIG_FAULTS))  # fmt: skip
def test_bad_survey_toml_stops_ingest(ingested_survey, tmp_path, capsys, extra, problem):
    _copy_catalogs(ingested_survey, tmp_path)
    err = _ingest_fails(_survey_toml(ingested_survey, tmp_path, extra=extra), capsys)
    prefix = "metgrad ingest: error: survey.toml: "
    assert err.startswith(prefix) and re.search(problem, err[len(prefix) :]), err
    assert not (tmp_path / "run").exists()


def test_missing_maps_folder_stops_ingest(ingested_survey, tmp_path, capsys):
    _copy_catalogs(ingested_survey, tmp_path)
    toml = _survey_toml(ingested_survey, tmp_path, maps=tmp_path / "mapz")
    err = _ingest_fails(toml, capsys)
    assert err == "metgrad ingest: error: mapz: input folder not found\n"


def test_daptype_without_files_stops_ingest(ingested_survey, tmp_path, capsys):
    _copy_catalogs(ingested_survey, tmp_path)
    toml = _survey_toml(ingested_survey, tmp_path, daptype="HYB10-GAU-MILESHC")
    err = _ingest_fails(toml, capsys)
    assert err == (
        "metgrad ingest: error: maps: no MAPS files of inputs.daptype = 'HYB10-GAU-MILESHC' "
        f"(DAP types present: {DAPTYPE})\n"
    )


def _options():
    config = RunConfig().to_dict()
    return [(section, key) for section, values in config.items() for key in values]


@pytest.mark.parametrize(("section", "key"), _options(), ids=lambda v: str(v))
def test_every_option_is_checked_on_load(tmp_path, section, key):
    """A value of no allowed type (an array of integers) is refused, naming the key and type."""
    toml = tmp_path / "survey.toml"
    toml.write_text(f"[{section}]\n{key} = [1, 2]\n")
    with pytest.raises(ValueError) as info:
        load_config(toml)
    message = str(info.value)
    assert "\n" not in message
    assert re.fullmatch(
        rf"survey.toml: {section}\.{key} must be (a number|an integer|a string|a path string|"
        r"true or false|a list of strings), got \[1, 2\]",
        message,
    ), message

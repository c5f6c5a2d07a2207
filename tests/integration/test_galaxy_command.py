"""`metgrad galaxy` on the real DR15 MAPS file, compared with Pipe3D's own DR17 fit."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from metgrad.cli import main
from metgrad.config import load_config
from metgrad.galaxy import galaxy_spaxels, read_galaxy_files
from metgrad.spaxels import CUTS, GalaxyInfo


def test_json_gradient_agrees_with_pipe3d_summary(real_maps_dr15, real_dir, capsys):
    assert main(["galaxy", str(real_maps_dr15), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["plateifu"] == "7815-3702"
    assert out["mode"] == "dap-only" and out["skipped_cuts"] == ["d4000"]
    assert set(out) >= {"M13_O3N2", "PG16_R", "cuts"}
    for key in ("M13_O3N2", "PG16_R"):
        assert set(out[key]) >= {"n_spaxels", "slope", "slope_err", "intercept"}
        assert out[key]["n_spaxels"] == out["cuts"]["selected"] > 300
    # The DR17 Pipe3D summary table's own O3N2-M13 gradient of this galaxy (its own
    # fit, geometry and binning): agreement within its error plus a few thousandths.
    table = pd.read_csv(real_dir / "pipe3d_summary_subset" / "lg12_intergrated_measure_pipe3D.csv")
    row = table[table["plateifu"].astype(str).str.strip() == "7815-3702"].iloc[0]
    alpha, err = row["OH_Mar13_O3N2_alpha_fit"], row["e_OH_Mar13_O3N2_alpha_fit"]
    m13 = out["M13_O3N2"]
    assert abs(m13["slope"] - alpha) <= err + 0.004
    # A sensible disc value: negative, well-measured, central O/H in the M13 range.
    assert -0.2 < m13["slope"] < 0
    assert m13["slope_err"] < 0.02
    assert 8.17 < m13["intercept"] < 8.77


def test_text_output_and_png(real_maps_dr15, tmp_path, capsys):
    png = tmp_path / "look.png"
    assert main(["galaxy", str(real_maps_dr15), "--png", str(png)]) == 0
    text = capsys.readouterr().out
    assert "skipped cuts: d4000" in text and "M13" in text and str(png) in text
    from matplotlib.image import imread

    image = imread(png)
    assert image.shape[0] > 100 and image.shape[1] > 100


@pytest.mark.parametrize("content", [b"", b"hello", b"\x1f\x8b\x08\x00garbage"])
def test_bad_file_one_line_error(tmp_path, capsys, content):
    bad = tmp_path / "manga-1-1-MAPS-X.fits.gz"
    bad.write_bytes(content)
    assert main(["galaxy", str(bad)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert err.startswith("metgrad galaxy: error: manga-1-1-MAPS-X.fits.gz: ")
    assert "Traceback" not in err


#: A narrower M13 range than the paper's 8.17-8.77, inside this galaxy's values, so that the
#: M13 range cut rejects spaxels that pass every other cut.
NARROW_M13 = "[selection]\noh_m13_min = 8.45\noh_m13_max = 8.55\n"


def _sum_abs(r, oh, slope, intercept):
    return np.abs(oh - intercept - slope * r).sum()


def test_own_oh_range_fits_each_calibrator_inside_its_own_range(real_maps_dr15, tmp_path,
                                                                capsys):  # fmt: skip
    """``[analysis] oh_range = "own"`` in ``--config``: the rows every cut but the M13 range keeps.

    The rows expected are worked out from the spaxel table's per-cut ``ok_`` columns (the
    command uses ``reject_reason``); the PG16 gradient must be a least-absolute-deviations
    line of exactly those rows: no small move of its slope or intercept lowers the sum of
    absolute deviations there.
    """
    outputs = {}
    for oh_range in ("m13", "own"):
        toml = tmp_path / f"{oh_range}.toml"
        toml.write_text(NARROW_M13 + f'[analysis]\noh_range = "{oh_range}"\n')
        assert main(["galaxy", str(real_maps_dr15), "--json", "--config", str(toml)]) == 0
        outputs[oh_range] = json.loads(capsys.readouterr().out)
    m13, own = outputs["m13"], outputs["own"]
    assert (m13["oh_range"], own["oh_range"]) == ("m13", "own")
    assert m13["cuts"] == own["cuts"] and m13["cuts"]["first_oh_m13"] > 50

    config = load_config(tmp_path / "own.toml")
    files = read_galaxy_files(real_maps_dr15)
    info = GalaxyInfo(files.dap.plateifu, z=own["z"], ba=own["ba"],
                      re_arcsec=files.dap.reff_arcsec)  # fmt: skip
    t = galaxy_spaxels(files, info, selection=config.selection, physics=config.physics).table
    other_cuts = np.logical_and.reduce([t[f"ok_{c}"].to_numpy() for c in CUTS if c != "oh_m13"])
    for name, column in (("M13_O3N2", "oh_m13"), ("PG16_R", "oh_pg16")):
        finite = np.isfinite(t[column].to_numpy())
        assert m13[name]["n_spaxels"] == m13["cuts"]["selected"]  # the M13 range for all
        assert own[name]["n_spaxels"] == np.count_nonzero(other_cuts & finite)
        assert own[name]["n_spaxels"] > m13[name]["n_spaxels"]

    rows = other_cuts & np.isfinite(t["oh_pg16"].to_numpy())
    r, oh = t["r_re"].to_numpy()[rows], t["oh_pg16"].to_numpy()[rows]
    fit = own["PG16_R"]
    best = _sum_abs(r, oh, fit["slope"], fit["intercept"])
    for d_slope, d_intercept in ((1e-4, 0), (-1e-4, 0), (0, 1e-4), (0, -1e-4),
                                 (1e-4, -1e-4), (-1e-4, 1e-4)):  # fmt: skip
        moved = _sum_abs(r, oh, fit["slope"] + d_slope, fit["intercept"] + d_intercept)
        assert moved >= best - 1e-9

    toml = tmp_path / "own.toml"
    assert main(["galaxy", str(real_maps_dr15), "--config", str(toml), "--png",
                 str(tmp_path / "own.png")]) == 0  # fmt: skip
    assert "O/H range: each calibrator's own" in capsys.readouterr().out

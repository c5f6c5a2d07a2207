"""`metgrad galaxy` on the real DR15 MAPS file, compared with Pipe3D's own DR17 fit."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from metgrad.cli import main


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

"""Figure helpers and the figure registry, on small hand-made tables (no pipeline run)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from matplotlib.lines import Line2D

from metgrad.figures import FIGURES, DrawnFigure, draw_figures
from metgrad.figures._style import centred_norm, density_contours
from metgrad.figures.correlations import draw_metallicity_correlations
from metgrad.figures.maps import grid_of
from metgrad.figures.massize import _relation_line, draw_gradient_maps
from metgrad.figures.subsamples import draw_subsample_selection

EXPECTED_IDS = (
    [f"fig{i:02d}" for i in range(1, 16)] + ["figA1"] + [f"figB{i}" for i in range(1, 8)] + ["figS1"]
)


def test_registry_lists_every_paper_figure_once():
    ids = [spec.id for spec in FIGURES]
    assert ids == EXPECTED_IDS
    numbers = [spec.number for spec in FIGURES]
    assert numbers == [str(i) for i in range(1, 16)] + ["A1"] + [f"B{i}" for i in range(1, 8)] + [
        "S1"
    ]
    for spec in FIGURES:
        assert spec.title and spec.caption and callable(spec.draw)
        assert spec.calibrator == ("pg16" if spec.id.startswith("figB") else "m13")


def test_appendix_b_figures_redraw_the_main_figures_for_pg16():
    # Paper Appendix B: B1 = Fig 2, B2 = Fig 3, B3 = Fig 4, B4 = Fig 5, B5 = Fig 7,
    # B6 = Fig 10, B7 = Fig 11, each for the PG16 calibrator.
    by_id = {spec.id: spec for spec in FIGURES}
    pairs = {"figB1": "fig02", "figB2": "fig03", "figB3": "fig04", "figB4": "fig05",
             "figB5": "fig07", "figB6": "fig10", "figB7": "fig11"}  # fmt: skip
    for b, main in pairs.items():
        assert by_id[b].draw is by_id[main].draw


def test_density_contours_enclose_the_gaussian_fractions():
    # For a 2-D standard normal the region holding a fraction f of the points is the
    # disc of radius r = sqrt(-2 ln(1 - f)): r(0.1) = 0.4590, r(0.5) = 1.1774,
    # r(0.9) = 2.1460. The area of the cells at or above each level gives pi r^2.
    rng = np.random.default_rng(7)
    x, y = rng.standard_normal((2, 40_000))
    dc = density_contours(x, y, fractions=(0.1, 0.5, 0.9), n_grid=200)
    assert dc.fractions == (0.9, 0.5, 0.1)
    assert np.all(np.diff(dc.levels) > 0)
    cell = (dc.x[1] - dc.x[0]) * (dc.y[1] - dc.y[0])
    for f, level in zip(dc.fractions, dc.levels, strict=True):
        radius = np.sqrt((dc.density >= level).sum() * cell / np.pi)
        assert radius == pytest.approx(np.sqrt(-2 * np.log(1 - f)), rel=0.05)


def test_density_contours_reject_unusable_input():
    with pytest.raises(ValueError, match="at least 10 points"):
        density_contours(np.arange(5.0), np.arange(5.0))
    with pytest.raises(ValueError, match="fractions"):
        density_contours(np.arange(20.0), np.arange(20.0), fractions=(0.5, 1.0))
    with pytest.raises(ValueError, match="both axes"):
        density_contours(np.arange(20.0), np.ones(20))


def test_centred_norm_is_symmetric_about_zero():
    # |values| = 0.3, 0.1, 0.05 -> 100th percentile 0.3: limits -0.3..0.3, zero at mid-scale.
    norm = centred_norm([-0.3, 0.1], [0.05, np.nan], percentile=100)
    assert (norm.vmin, norm.vmax) == pytest.approx((-0.3, 0.3))
    assert norm(0.0) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="no finite"):
        centred_norm([np.nan])


def test_grid_of_places_bins_on_their_regular_grid():
    # Bins of width 0.05 (x) and 0.1 (y) centred at x = 9.025, 9.075, 9.175 and
    # y = 7.05, 7.25: 4 columns (9.125 empty) x 3 rows (7.15 empty).
    table = pd.DataFrame({"x": [9.025, 9.075, 9.175], "y": [7.05, 7.25, 7.05],
                          "smoothed": [1.0, 2.0, 3.0]})  # fmt: skip
    xe, ye, grid = grid_of(table)
    assert xe == pytest.approx([9.0, 9.05, 9.1, 9.15, 9.2])
    assert ye == pytest.approx([7.0, 7.1, 7.2, 7.3])
    assert grid.shape == (3, 4)
    assert grid[0, 0] == 1.0 and grid[2, 1] == 2.0 and grid[0, 3] == 3.0
    assert int(grid.mask.sum()) == 12 - 3


def test_relation_line_steps_and_breaks_at_empty_mass_bins():
    relation = pd.DataFrame({"log_mstar_lo": [9.0, 9.2, 9.6], "log_mstar_hi": [9.2, 9.4, 9.8],
                             "n": [3, 4, 5], "median_log_re": [0.3, 0.4, 0.6]})  # fmt: skip
    x, y = _relation_line(relation)
    # bins 1-2 touch (vertical step at 9.2); 9.4-9.6 is empty, so a NaN breaks the line
    np.testing.assert_allclose(x, [9.0, 9.2, 9.2, 9.4, np.nan, 9.6, 9.8])
    np.testing.assert_allclose(y, [0.3, 0.3, 0.4, 0.4, np.nan, 0.6, 0.6])


def _lines(ax, color):
    return sorted(
        float(line.get_xdata()[0])
        for line in ax.get_lines()
        if isinstance(line, Line2D) and line.get_color() == color and len(line.get_xdata())
    )


def test_subsample_figure_marks_the_percentiles_and_the_small_band(tmp_path):
    # 11 offsets -0.05..0.05 in steps of 0.01: linear percentiles at positions
    # 0.1 * 10 = 1 and 0.9 * 10 = 9 -> -0.04 and +0.04 dex/Re; the band is +-0.02.
    off = np.round(np.linspace(-0.05, 0.05, 11), 10)
    gal = pd.DataFrame({"plateifu": [f"1-{i}" for i in range(11)], "offset_sfh": off,
                        "massize_bin": "mid-extended", "subsample": ""})  # fmt: skip
    gal.to_parquet(tmp_path / "galaxies.parquet")
    ax = draw_subsample_selection(tmp_path).axes[0]
    assert _lines(ax, "tab:red") == pytest.approx([-0.04, 0.04])
    assert _lines(ax, "tab:blue") == pytest.approx([-0.02, 0.02])


def test_correlation_bars_show_abs_rho_coloured_by_sign(tmp_path):
    pd.DataFrame({"parameter": ["M*", "R_e", "A_V"], "rho": [0.5, -0.3, np.nan],
                  "p_value": [1e-30, 0.2, np.nan]}).to_csv(tmp_path / "correlations.csv")  # fmt: skip
    ax = draw_metallicity_correlations(tmp_path).axes[0]
    bars = ax.patches[:2]
    assert [b.get_width() for b in bars] == pytest.approx([0.5, 0.3])
    red, blue = (0.839, 0.153, 0.157), (0.122, 0.467, 0.706)  # tab:red, tab:blue
    assert bars[0].get_facecolor()[:3] == pytest.approx(red, abs=1e-3)
    assert bars[1].get_facecolor()[:3] == pytest.approx(blue, abs=1e-3)
    texts = [t.get_text() for t in ax.texts]
    assert "0.30  (p = 0.2)" in texts and "0.50" in texts  # p >= 0.01 printed


def test_mass_size_maps_share_one_scale_centred_on_zero(tmp_path):
    rng = np.random.default_rng(3)
    n = 60
    gal = pd.DataFrame({"log_mstar": rng.uniform(9, 11, n), "log_re": rng.uniform(0, 1, n),
                        "loess_grad_obs": rng.uniform(-0.3, 0.02, n),
                        "loess_grad_base": rng.uniform(-0.2, 0.0, n),
                        "loess_grad_sfh": rng.uniform(-0.25, 0.05, n)})  # fmt: skip
    gal.to_parquet(tmp_path / "galaxies.parquet")
    fig = draw_gradient_maps(tmp_path)
    norms = [ax.collections[0].norm for ax in fig.axes[:3]]
    assert all(norm is norms[0] for norm in norms)
    assert norms[0].vmin == pytest.approx(-norms[0].vmax)
    assert norms[0](0.0) == pytest.approx(0.5)


def test_draw_figures_rejects_unknown_ids_and_formats(tmp_path):
    with pytest.raises(ValueError, match="unknown figure id"):
        draw_figures(tmp_path, ids=["fig99"])
    with pytest.raises(ValueError, match="unsupported figure format"):
        draw_figures(tmp_path, formats=("gif",))


def test_missing_tables_give_error_entries_and_no_stale_files(tmp_path):
    out = tmp_path / "figs"
    out.mkdir()
    (out / "fig02.png").write_bytes(b"old")  # from an earlier run
    drawn = draw_figures(tmp_path, out_dir=out)  # no analysis/ at all
    assert [d.spec.id for d in drawn] == EXPECTED_IDS
    for d in drawn:
        assert isinstance(d, DrawnFigure) and d.paths == {}
        assert "missing" in d.error and "\n" not in d.error
    assert not (out / "fig02.png").exists()

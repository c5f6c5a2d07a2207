"""``metgrad mock`` on the command line, with ``--plots``."""

import pytest

from metgrad.cli import main


def test_mock_command_writes_a_survey_and_plots(tmp_path, capsys):
    out = tmp_path / "survey"
    assert main(["mock", "--galaxies", "3", "--out", str(out), "--seed", "4", "--plots"]) == 0
    printed = capsys.readouterr().out
    assert "3 galaxies (seed 4)" in printed and "survey.toml" in printed
    assert (out / "survey.toml").is_file()
    for name in ("mass_size.png", "sigma_oh.png", "bpt.png", "example_maps.png"):
        assert (out / "plots" / name).stat().st_size > 1000


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--galaxies", "0"], "must be >= 1"),
        (["--galaxies", "2", "--workers", "-1"], "workers must be a non-negative integer"),
    ],
)
def test_mock_command_rejects_bad_counts(tmp_path, argv, message, capsys):
    assert main(["mock", "--out", str(tmp_path), *argv]) == 1
    assert message in capsys.readouterr().err

"""Names that become paths are checked; messages never carry control characters."""

from __future__ import annotations

import pytest

from metgrad.io.errors import InputFileError, printable
from metgrad.safepaths import check_daptype, check_plateifu, figure_path, inside


@pytest.mark.parametrize("text", ["8485-1901", " 7815-3702\n", "1-1", "99999-12705"])
def test_plateifus(text):
    assert check_plateifu(text) == text.strip()


@pytest.mark.parametrize(
    "text", ["../outside/evil", "8485_1901", "8485-1901/..", "/8485-1901", "1" * 300,
             "123456-1901", "8485-1901-2", "", "８４８５-１９０１"],
)  # fmt: skip
def test_not_plateifus(text):
    with pytest.raises(ValueError, match=r"is not a plate-ifu like 8485-1901$"):
        check_plateifu(text, source="--plateifu")


@pytest.mark.parametrize(
    "text", ["../../x", "/tmp/evil", "a/b", "..", ".hidden", "x..y", "", "a b", "a" * 65]
)
def test_not_daptypes(text):
    with pytest.raises(ValueError, match=r"is not a DAP type like HYB10-MILESHC-MASTARSSP"):
        check_daptype(text)
    assert check_daptype("HYB10-MILESHC-MASTARSSP") == "HYB10-MILESHC-MASTARSSP"


def test_inside(tmp_path):
    assert inside(tmp_path, "a/b.fits") == tmp_path / "a/b.fits"
    for bad in ("../x", "/etc/passwd", "a/../../x"):
        with pytest.raises(ValueError, match="would be written outside"):
            inside(tmp_path, bad)


def test_figure_path(tmp_path):
    assert figure_path(None, "8440-1902", source="m.fits") == tmp_path.__class__("8440-1902.png")
    assert figure_path(tmp_path, "8440-1902", source="m.fits") == tmp_path / "8440-1902.png"
    assert figure_path(tmp_path / "x.png", "../evil", source="m.fits") == tmp_path / "x.png"
    with pytest.raises(ValueError, match=r"^m.fits: header PLATEIFU '../evil' is not a plate"):
        figure_path(tmp_path, "../evil", source="m.fits")


def test_messages_carry_no_control_characters():
    error = InputFileError("/x/manga-\x1b[2J.fits", "PLATEIFU \x1b]0;owned\x07 in the header")
    assert str(error) == "manga-?[2J.fits: PLATEIFU ?]0;owned? in the header"
    assert printable("ok\ttab") == "ok?tab"

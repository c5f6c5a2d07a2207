"""docs/calibrators_real.md: every calibrator's gradient on the real 7815-3702 MAPS file."""

from __future__ import annotations

import json
import re
from pathlib import Path

from metgrad.calibration import CALIBRATORS
from metgrad.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_documented_gradients_are_what_metgrad_computes(real_maps_dr15, capsys):
    assert main(["galaxy", str(real_maps_dr15), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    text = (ROOT / "docs" / "calibrators_real.md").read_text()
    rows = re.findall(r"^\| (\w+) \| (\w+) \| (\d+) \| ([+-]\d\.\d{4}) ± (\d\.\d{4}) \|", text,
                      flags=re.M)  # fmt: skip
    documented = {name: (scale, int(n), float(s), float(e)) for name, scale, n, s, e in rows}
    computed = {k: v for k, v in out.items() if isinstance(v, dict) and "n_spaxels" in v}
    # every calibrator of the registry has the lines it needs in this DR15 file
    assert set(computed) == {c.name for c in CALIBRATORS.values()} == set(documented)
    for name, (scale, n, slope, err) in documented.items():
        got = computed[name]
        assert (got["scale"], got["n_spaxels"]) == (scale, n), name
        assert abs(got["slope"] - slope) <= 6e-5 and abs(got["slope_err"] - err) <= 6e-5, name

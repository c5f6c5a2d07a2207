"""Issue #18: seeded fuzzing of MAPS files and Pipe3D cubes through per-galaxy ingest.

Header cards (structural keywords, channel names, identity, units) and bytes of the real
DR15 MAPS file, and of a synthetic DR17 MAPS file and its Pipe3D cube, are mutated; each
mutated file (plain or gzipped) goes through :func:`metgrad.survey.ingest_galaxy`, the
per-galaxy step of ``metgrad ingest``. The fuzzing runs in a child process whose address
space is limited (``RLIMIT_AS``, as ``ulimit -v`` sets it), so a file that makes the
readers allocate without bound fails there instead of on the machine. It must show:

- no exception ever escapes the per-galaxy handling, and each failure is one line that
  names the file (the reason starts with it when a reader found the problem);
- no case runs out of memory (no ``MemoryError`` among the reasons) under the limit;
- no case hangs (each is stopped by SIGALRM after a few seconds and counted);
- the fuzzing finishes, and some cases are still ingested (mutations of unused bytes).

Every case is seeded from (seed, case number), so a failing case is reproduced by its
number, printed with its mutation. A fixed number of cases runs (not a time budget), so every
run, on any machine and under any load, tries the same files.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

SEED = 18
#: Fuzz cases (about 30 ms of CPU each): 50 of each of the six kinds of mutation, on average,
#: for the assertions below, which need 80 cases, 30 failures, 5 ingested and every kind.
CASES = 300
#: Address-space limit of the child (bytes): the interpreter with numpy, astropy and
#: pyarrow takes about 1.1 GB of it before the first case; a MAPS file a few MB.
ADDRESS_SPACE = 2_500 << 20
CASE_LIMIT_S = 10
DAPTYPE = "HYB10-MILESHC-MASTARSSP"

FUZZ = textwrap.dedent(
    r'''
    import gzip, json, signal, sys
    from pathlib import Path
    import numpy as np
    from metgrad.spaxels import GalaxyInfo
    from metgrad.survey import GalaxyTask, ingest_galaxy

    spec = json.loads(sys.argv[1])
    out = Path(spec["out"])
    HOSTILE = ["-5", "0", "-1", "1099511627776", "4294967296", "18446744073709551617", "nan",
               "'unterminated", "''", "1e300", "T", "F", "'../../x'", "'IMAGE   '",
               "'BINTABLE'", "12x", "'" + "A" * 66 + "'", "-64", "3", "999"]
    KEYS = ["NAXIS", "NAXIS1", "NAXIS2", "NAXIS3", "BITPIX", "XTENSION", "PCOUNT", "GCOUNT",
            "EXTNAME", "BUNIT", "PLATEIFU", "DAPTYPE", "C01", "C03", "C19", "DESC_5", "INDEX5",
            "OBJRA", "OBJDEC", "REFF", "ECOOELL", "EXTEND", "BSCALE", "BZERO", "BLANK"]

    class Hang(BaseException):
        pass

    def alarm(signum, frame):
        raise Hang

    def headers(raw):
        return [i for i in range(0, len(raw), 2880) if raw[i:i + 9] in (b"SIMPLE  =", b"XTENSION=")]

    def card_slots(raw, start):
        slots = []
        for i in range(start, min(len(raw), start + 2880 * 50), 80):
            if raw[i:i + 8] == b"END     ":
                break
            slots.append(i)
        return slots

    def mutate(raw, rng):
        raw = bytearray(raw)
        kind = rng.choice(["value", "keyword", "flip", "truncate", "block", "end"])
        starts = headers(raw)
        start = starts[rng.integers(len(starts))]
        slots = card_slots(raw, start)
        if kind == "value":  # a card's value replaced by a hostile one
            at = slots[rng.integers(len(slots))]
            key = bytes(raw[at:at + 8]).decode("ascii", "replace")
            value = HOSTILE[rng.integers(len(HOSTILE))]
            raw[at:at + 80] = f"{key:<8}= {value:>20}".ljust(80)[:80].encode()
            what = f"{key.strip()} = {value} in HDU at {start}"
        elif kind == "keyword":  # a known keyword forced to a hostile value (added if absent)
            key = KEYS[rng.integers(len(KEYS))]
            at = next((s for s in slots if raw[s:s + 8].rstrip() == key.encode()),
                      slots[rng.integers(1, len(slots))] if len(slots) > 1 else slots[0])
            value = HOSTILE[rng.integers(len(HOSTILE))]
            raw[at:at + 80] = f"{key:<8}= {value:>20}".ljust(80)[:80].encode()
            what = f"{key} = {value} in HDU at {start}"
        elif kind == "flip":
            n = int(rng.integers(1, 20))
            for at in rng.integers(0, len(raw), n):
                raw[at] ^= 1 << int(rng.integers(8))
            what = f"{n} bits flipped"
        elif kind == "truncate":
            at = int(rng.integers(0, len(raw)))
            raw = raw[:at]
            what = f"cut at byte {at}"
        elif kind == "block":
            a = int(rng.integers(0, len(raw) // 2880)) * 2880
            if rng.random() < 0.5:
                raw = raw[:a] + raw[a + 2880:]
                what = f"block at {a} deleted"
            else:
                raw = raw[:a] + raw[a:a + 2880] + raw[a:]
                what = f"block at {a} doubled"
        else:
            end = slots[-1] + 80 if slots else start
            raw[end:end + 3] = b"XND"
            what = f"END card of HDU at {start} removed"
        return bytes(raw), kind + ": " + what

    sources = spec["sources"]
    signal.signal(signal.SIGALRM, alarm)
    report = {"cases": 0, "done": 0, "failed": 0, "escaped": [], "hangs": [],
              "memory": [], "unnamed": [], "multiline": [], "kinds": {}}
    case = 0
    while case < spec["cases"]:
        rng = np.random.default_rng([spec["seed"], case])
        source = sources[case % len(sources)]
        target = source["mutate"]  # "maps" or "cube"
        raw, what = mutate(Path(source[target + "_raw"]).read_bytes(), rng)
        zipped = bool(rng.random() < 0.5)
        if zipped and rng.random() < 0.2:  # a byte of the compressed stream too
            packed = bytearray(gzip.compress(raw, compresslevel=1, mtime=0))
            packed[int(rng.integers(10, len(packed)))] ^= 0xFF
            raw, what = bytes(packed), what + ", gzip byte flipped"
        elif zipped:
            raw = gzip.compress(raw, compresslevel=1, mtime=0)
        name = source[target + "_name"] + (".gz" if zipped else "")
        folder = out / f"case{case}"
        folder.mkdir()
        path = folder / name
        path.write_bytes(raw)
        paths = {"maps": Path(source["maps"]), "cube": source.get("cube")}
        paths[target] = path
        info = GalaxyInfo(source["plateifu"], z=source["z"], ba=source["ba"],
                          re_arcsec=source["re_arcsec"], log_mstar=10.0)
        task = GalaxyTask(info=info, maps_path=paths["maps"],
                          pipe3d_path=None if paths["cube"] is None else Path(paths["cube"]),
                          out_path=folder / "table.parquet",
                          catalog={"ra": source["ra"], "dec": source["dec"]},
                          daptype=source["daptype"], config_hash="fuzz", input_key="fuzz")
        label = f"case {case} ({source['plateifu']} {target}, {what})"
        signal.alarm(spec["case_limit"])
        try:
            result = ingest_galaxy(task)
        except Hang:
            report["hangs"].append(label)
            result = None
        except BaseException as exc:
            report["escaped"].append(f"{label}: {type(exc).__name__}: {exc}"[:300])
            result = None
        finally:
            signal.alarm(0)
        report["kinds"][what.split(":")[0]] = report["kinds"].get(what.split(":")[0], 0) + 1
        if result is not None:
            report[result["status"]] = report.get(result["status"], 0) + 1
            reason = result.get("reason", "")
            if "MemoryError" in reason:
                report["memory"].append(f"{label}: {reason}"[:300])
            if "\n" in reason:
                report["multiline"].append(label)
            if result["status"] == "failed" and result["stage"].startswith("read"):
                if not reason.startswith(result["file"] + ": ") or result["file"] != name:
                    report["unnamed"].append(f"{label}: {result['file']}: {reason}"[:300])
        for p in folder.iterdir():
            p.unlink()
        folder.rmdir()
        case += 1
    report["cases"] = case
    print(json.dumps(report))
    '''
)


def _limit_address_space():
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


@pytest.fixture(scope="module")
def sources(ingested_survey, real_maps_dr15, tmp_path_factory) -> list[dict]:
    """The files to mutate: the real DR15 MAPS file, and a synthetic MAPS file and cube."""
    import gzip

    from astropy.io import fits

    folder = tmp_path_factory.mktemp("fuzz_sources")
    header = fits.getheader(real_maps_dr15, 0)
    real = folder / "real-maps.fits"
    real.write_bytes(gzip.decompress(real_maps_dr15.read_bytes()))
    dr15 = {
        "plateifu": "7815-3702", "z": header["SCINPVEL"] / 299792.458,
        "ba": 1 - header["ECOOELL"], "re_arcsec": header["REFF"], "ra": header["OBJRA"],
        "dec": header["OBJDEC"], "daptype": "HYB10-GAU-MILESHC", "maps": str(real),
        "maps_raw": str(real), "maps_name": "manga-7815-3702-MAPS-HYB10-GAU-MILESHC.fits",
        "mutate": "maps",
    }  # fmt: skip
    galaxies = pd.read_parquet(ingested_survey.run / "galaxies.parquet")
    row = galaxies.sort_values("n_covered").iloc[0]
    plate, ifu = row["plateifu"].split("-")
    maps = ingested_survey.root / (f"maps/{DAPTYPE}/{plate}/{ifu}/"
                                   f"manga-{row['plateifu']}-MAPS-{DAPTYPE}.fits.gz")  # fmt: skip
    cube = ingested_survey.root / f"pipe3d/{plate}/manga-{row['plateifu']}.Pipe3D.cube.fits.gz"
    raws = {}
    for key, path in (("maps", maps), ("cube", cube)):
        raws[key] = folder / f"mock-{key}.fits"
        raws[key].write_bytes(gzip.decompress(path.read_bytes()))
    mock = {
        "plateifu": row["plateifu"], "z": row["z"], "ba": row["ba"],
        "re_arcsec": row["re_arcsec"], "ra": row["ra"], "dec": row["dec"], "daptype": DAPTYPE,
        "maps": str(maps), "cube": str(cube), "maps_raw": str(raws["maps"]),
        "cube_raw": str(raws["cube"]), "maps_name": maps.name[:-3], "cube_name": cube.name[:-3],
    }  # fmt: skip
    return [dr15, {**mock, "mutate": "maps"}, {**mock, "mutate": "cube"}]


def test_fuzzed_files_never_escape_per_galaxy_handling(sources, tmp_path):
    spec = {"out": str(tmp_path), "sources": sources, "seed": SEED, "cases": CASES,
            "case_limit": CASE_LIMIT_S}  # fmt: skip
    proc = subprocess.run(
        [sys.executable, "-c", FUZZ, json.dumps(spec)],
        capture_output=True,
        text=True,
        timeout=600,
        preexec_fn=_limit_address_space,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    for key in ("escaped", "hangs", "memory", "unnamed", "multiline"):
        assert report[key] == [], (key, report[key][:5])
    assert report["cases"] == CASES >= 80, report
    assert report["failed"] >= 30 and report["done"] >= 5, report
    assert len(report["kinds"]) == 6, report
    print(json.dumps({k: report[k] for k in ("cases", "done", "failed", "kinds")}))


def test_the_address_space_limit_is_low_enough_to_catch_a_bomb(tmp_path):
    """Under the same limit a 3 GiB buffer (a bomb inflated whole) fails: the limit bites."""
    code = "buffer = bytearray(3 << 30)"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, preexec_fn=_limit_address_space)  # fmt: skip
    assert proc.returncode != 0 and "MemoryError" in proc.stderr


def test_fuzz_inputs_are_valid(sources):
    """Unmutated, every source is ingested (a fuzz case that fails fails for its mutation)."""
    from metgrad.spaxels import GalaxyInfo
    from metgrad.survey import GalaxyTask, ingest_galaxy

    for source in sources[:2]:
        info = GalaxyInfo(source["plateifu"], z=source["z"], ba=source["ba"],
                          re_arcsec=source["re_arcsec"], log_mstar=10.0)  # fmt: skip
        cube = source.get("cube")
        task = GalaxyTask(info=info, maps_path=Path(source["maps"]),
                          pipe3d_path=None if cube is None else Path(cube),
                          out_path=Path(source["maps_raw"]).with_suffix(".parquet"),
                          catalog={"ra": source["ra"], "dec": source["dec"]},
                          daptype=source["daptype"])  # fmt: skip
        result = ingest_galaxy(task)
        assert result["status"] == "done", result

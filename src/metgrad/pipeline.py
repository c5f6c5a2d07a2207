"""The whole pipeline in one call: (synthetic survey) -> ingest -> analyse -> report."""

from __future__ import annotations

import sys
import time
import tomllib
from collections.abc import Callable
from os import PathLike
from pathlib import Path

from .analysis import analyse_run
from .config import RunConfig, load_config
from .report import build_report
from .survey import run_ingest

__all__ = ["DEMO_GALAXIES", "demo", "run_pipeline"]

#: Default size of ``metgrad demo``: a few minutes on 2 cores. 5000 gives a paper-scale
#: sample (about 2,100 galaxies after the cuts).
DEMO_GALAXIES = 400


def _say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def run_pipeline(
    config: RunConfig,
    *,
    workers: int | None = 1,
    scheduler: str | None = None,
    progress: bool = True,
    say: Callable[[str], None] = _say,
) -> Path:
    """Ingest, analyse (``[analysis] calibrators``) and report; return the report's path."""
    t0 = time.perf_counter()
    say(f"[1/3] ingest -> {config.output.dir}")
    result = run_ingest(config, workers=workers, scheduler=scheduler, progress=progress)
    say(
        f"      {len(result.galaxies)} galaxies ingested, {len(result.failures)} failed "
        f"({time.perf_counter() - t0:.0f} s)"
    )
    names = ", ".join(k.upper() for k in config.analysis.calibrators)
    say(f"[2/3] analyse: gradients, seven model sets, mass-size plane ({names})")
    t1 = time.perf_counter()
    summaries = analyse_run(config.output.dir, config=config, workers=workers, say=say)
    for key, s in summaries.items():
        say(
            f"      {key.upper()}: {s['n_galaxies_final']} galaxies, {s['n_spaxels_final']} "
            "spaxels in the final sample"
        )
    say(f"      analysis took {time.perf_counter() - t1:.0f} s")
    say("[3/3] report: figures and report.html")
    t2 = time.perf_counter()
    path = build_report(config.output.dir, workers=workers, say=say)
    say(f"      report took {time.perf_counter() - t2:.0f} s; whole pipeline "
        f"{time.perf_counter() - t0:.0f} s")  # fmt: skip
    return path


def _existing_survey(out: Path, galaxies: int, seed: int) -> bool:
    toml = out / "survey.toml"
    if not toml.is_file() or not (out / "truth" / "relations.json").is_file():
        return False
    try:
        mock = tomllib.loads(toml.read_text()).get("mock", {})
    except tomllib.TOMLDecodeError:
        return False
    return mock.get("galaxies") == galaxies and mock.get("seed") == seed


def demo(
    *,
    galaxies: int = DEMO_GALAXIES,
    out: str | PathLike[str] = "demo",
    seed: int = 1,
    workers: int | None = None,
    progress: bool = True,
    say: Callable[[str], None] = _say,
) -> Path:
    """Write (or reuse) a synthetic survey and run the whole pipeline on it.

    Parameters
    ----------
    galaxies : int, optional
        Synthetic galaxies (default :data:`DEMO_GALAXIES`).
    out : str or path-like, optional
        Folder of the survey; the run goes to ``OUT/run``.
    seed : int, optional
        Seed of the synthetic survey.
    workers : int or None, optional
        Worker processes (None: every core).
    progress : bool, optional
        Progress bars on stderr.

    Returns
    -------
    Path
        The report.
    """
    from .mock.config import MockConfig
    from .mock.survey import generate_survey
    from .parallel import open_executor

    if galaxies < 1:
        raise ValueError(f"galaxies must be >= 1, got {galaxies}")
    out = Path(out)
    if _existing_survey(out, galaxies, seed):
        say(f"[0/3] reusing the synthetic survey in {out} ({galaxies} galaxies, seed {seed})")
    else:
        say(f"[0/3] synthetic MaNGA survey: {galaxies} galaxies (seed {seed}) -> {out}")
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=galaxies, unit="galaxy", desc="mock", file=sys.stderr)
        t0 = time.perf_counter()
        try:
            with open_executor(workers=workers) as executor:
                generate_survey(
                    MockConfig(n_galaxies=galaxies, seed=seed),
                    out,
                    executor=executor,
                    progress=bar.update if bar is not None else None,
                )
        finally:
            if bar is not None:
                bar.close()
        say(f"      written in {time.perf_counter() - t0:.0f} s")
    config = load_config(out / "survey.toml")
    return run_pipeline(config, workers=workers, progress=progress, say=say)

"""The order of a mutant's unit tests under mutmut (tests/mutant_runs.py), by hand."""

import json
from types import SimpleNamespace

import pytest

import mutant_runs


def items(*nodeids):
    return [SimpleNamespace(nodeid=n) for n in nodeids]


COSTS = {
    "tests/unit/test_driver.py::test_fixture_heavy": 4.0,
    "tests/unit/test_driver.py::test_also_heavy": 3.5,
    "tests/unit/test_driver.py::test_cheap": 0.01,
    "tests/unit/test_kill.py::test_b": 0.02,
    "tests/unit/test_kill.py::test_a": 0.005,
    "tests/unit/test_kill.py::TestGroup::test_slow": 1.0,
    "tests/unit/test_kill.py::TestGroup::test_fast": 0.001,
    "tests/unit/test_other.py::test_x[1]": 0.03,
    "tests/unit/test_other.py::test_x[0]": 0.003,
}


@pytest.fixture
def costs_file(tmp_path):
    (tmp_path / mutant_runs.COSTS_FILE).write_text(json.dumps(COSTS))
    return tmp_path


def test_a_mutants_tests_run_cheapest_first_by_module_class_and_test(costs_file, monkeypatch):
    monkeypatch.setenv("MUTANT_UNDER_TEST", "metgrad.stats.lad.x_lad_line__mutmut_3")
    tests = items(*COSTS)
    mutant_runs.cheapest_first(costs_file, tests)
    assert [t.nodeid.removeprefix("tests/unit/") for t in tests] == [
        # test_kill's cheapest is the class's 0.001 s test: the class first, whole
        "test_kill.py::TestGroup::test_fast", "test_kill.py::TestGroup::test_slow",
        "test_kill.py::test_a", "test_kill.py::test_b",
        "test_other.py::test_x[0]", "test_other.py::test_x[1]",
        # a module's tests stay together: its cheap test does not go before other modules'
        "test_driver.py::test_cheap", "test_driver.py::test_also_heavy",
        "test_driver.py::test_fixture_heavy",
    ]  # fmt: skip


@pytest.mark.parametrize("phase", [None, "", "stats", "fail"])
def test_the_order_is_left_alone_outside_a_mutant_run(costs_file, monkeypatch, phase):
    if phase is None:
        monkeypatch.delenv("MUTANT_UNDER_TEST", raising=False)
    else:
        monkeypatch.setenv("MUTANT_UNDER_TEST", phase)
    tests = items(*COSTS)
    mutant_runs.cheapest_first(costs_file, tests)
    assert [t.nodeid for t in tests] == list(COSTS)


def test_without_the_costs_file_the_order_is_left_alone(tmp_path, monkeypatch):
    monkeypatch.setenv("MUTANT_UNDER_TEST", "metgrad.x__mutmut_1")
    tests = items(*COSTS)
    mutant_runs.cheapest_first(tmp_path, tests)
    assert [t.nodeid for t in tests] == list(COSTS)


def test_the_coverage_run_records_setup_call_and_teardown(tmp_path, monkeypatch):
    monkeypatch.setattr(mutant_runs, "_costs", {})
    reports = [("a", 2.0), ("a", 0.25), ("b", 0.5), ("a", 0.125)]
    monkeypatch.setenv("MUTANT_UNDER_TEST", "metgrad.x__mutmut_1")
    for nodeid, seconds in reports:  # a mutant run records nothing
        mutant_runs.record(SimpleNamespace(nodeid=nodeid, duration=seconds))
    mutant_runs.write_costs(tmp_path)
    assert mutant_runs._costs == {} and not list(tmp_path.iterdir())
    monkeypatch.setenv("MUTANT_UNDER_TEST", "stats")
    for nodeid, seconds in reports:
        mutant_runs.record(SimpleNamespace(nodeid=nodeid, duration=seconds))
    mutant_runs.write_costs(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == [mutant_runs.COSTS_FILE]
    assert json.loads((tmp_path / mutant_runs.COSTS_FILE).read_text()) == {
        "a": 2.375, "b": 0.5,
    }  # fmt: skip


"""The whole-folder writer of analysis/write.py: what is left on disk after success, failure
and interruption."""

import pytest

from metgrad.analysis.write import replace_folder


def test_a_new_folder_in_new_parents_and_nothing_left_beside_it(tmp_path):
    target = tmp_path / "analysis" / "deep" / "m13"
    replace_folder(target, lambda d: (d / "a.csv").write_text("1"))
    assert (target / "a.csv").read_text() == "1"
    replace_folder(target, lambda d: (d / "b.csv").write_text("2"))
    # the old folder, moved aside, is gone; so is the temporary one
    assert [p.name for p in target.parent.iterdir()] == ["m13"]
    assert [p.name for p in target.iterdir()] == ["b.csv"]


def test_an_interrupted_fill_leaves_the_old_folder_and_no_temporary(tmp_path):
    target = tmp_path / "m13"
    replace_folder(target, lambda d: (d / "a.csv").write_text("old"))
    seen = []

    def interrupted(d):
        seen.append(d)
        assert d.parent == tmp_path and d.name.startswith(".m13.tmp-") and d.is_dir()
        (d / "a.csv").write_text("half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        replace_folder(target, interrupted)
    assert (target / "a.csv").read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["m13"] and not seen[0].exists()


def test_each_call_has_its_own_temporary_folder(tmp_path):
    made = []
    for _ in range(2):
        replace_folder(tmp_path / "m13", lambda d: made.append(d.name))
    assert made[0] != made[1] and all(len(n) == len(".m13.tmp-") + 8 for n in made)


def test_the_fill_error_is_raised_even_if_the_temporary_folder_is_gone(tmp_path):
    def removes_itself(d):
        d.rmdir()
        raise RuntimeError("fill failed")

    with pytest.raises(RuntimeError, match=r"^fill failed$"):
        replace_folder(tmp_path / "m13", removes_itself)
    assert list(tmp_path.iterdir()) == []

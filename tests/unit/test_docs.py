"""The documentation cannot drift from the code: generated parts are compared with it."""

from pathlib import Path

from metgrad.config_docs import options_markdown, section_options

ROOT = Path(__file__).resolve().parents[2]


def test_configuration_reference_is_generated_from_config_py():
    text = (ROOT / "docs" / "configuration.md").read_text()
    assert text == options_markdown(), (
        "docs/configuration.md is out of date: python -m metgrad.config_docs > "
        "docs/configuration.md"
    )


def test_every_option_is_documented():
    import dataclasses

    from metgrad.config import RunConfig

    for section in (f.name for f in dataclasses.fields(RunConfig)):
        for row in section_options(section):
            assert row["description"], f"[{section}] {row['name']} has no description"

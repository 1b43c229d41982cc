"""The district's settings file: a value of the wrong kind or a misspelt key is an error that names
the file, the key and the value (it used to crash deep in a run, or to be silently ignored)."""

from __future__ import annotations

from pathlib import Path

import pytest

from roster_pipeline.cli.main import main
from roster_pipeline.plan.thresholds import Threshold, load_threshold_settings
from roster_pipeline.settings_file import SettingsError
from roster_pipeline.validation.settings import load_reader_settings
from roster_pipeline_tests.conftest import SAMPLE_UPLOAD

GOOD = """
[limits]
max_file_mb = 50
max_field_chars = 2000

[header_aliases.users]
"First Name" = "givenName"

[thresholds]
percent = 5

[thresholds.students]
count = 200
"""


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("[limits]\nmax_file_mb = [1]\n", "[limits] max_file_mb must be a positive number, not [1]"),
        ("[limits]\nmax_file_mb = inf\n", "[limits] max_file_mb must be a positive number, not inf"),
        (
            "[limits]\nmax_field_chars = 10.5\n",
            "[limits] max_field_chars must be a positive number, not 10.5",
        ),
        ("limits = 5\n", "limits must be a table ([limits]), not 5"),
        ("[limit]\nmax_file_mb = 5\n", "unknown setting 'limit'"),
        ("[limits]\nmax_file_gb = 5\n", "[limits] unknown setting 'max_file_gb'"),
        (
            '[header_aliases]\nusers = "x"\n',
            "[header_aliases.users] must be a table of alias = column, not 'x'",
        ),
        ('[header_aliases.users]\nGiven = "notAColumn"\n', "'Given' must name a column of users.csv"),
        ('[header_aliases.pupils]\nGiven = "givenName"\n', "[header_aliases.pupils] names no file we read"),
        ("thresholds = 5\n", "thresholds must be a table ([thresholds]), not 5"),
        ('[thresholds]\ncount = "abc"\n', "[thresholds] count must be a whole number of rows, not 'abc'"),
        (
            "[thresholds.students]\ncount = 1.5\n",
            "[thresholds.students] count must be a whole number of rows",
        ),
        ("[thresholds]\npercent = nan\n", "[thresholds] percent must be a number from 0 to 100, not nan"),
        ("[thresholds]\npercent = 150\n", "[thresholds] percent must be a number from 0 to 100, not 150"),
        ("[thresholds.pupils]\ncount = 1\n", "[thresholds] unknown setting 'pupils'"),
        ("not toml [\n", "not valid TOML"),
    ],
)
def test_a_bad_setting_is_named_with_its_file_key_and_value(tmp_path: Path, text: str, said: str) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(text)
    for load in (load_reader_settings, load_threshold_settings):
        with pytest.raises(SettingsError) as raised:
            load(path)
        assert str(raised.value).startswith(f"settings file {path}: ")
        assert said in str(raised.value)


def test_good_settings_are_read(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(GOOD)
    reader = load_reader_settings(path)
    assert reader.limits.max_field_chars == 2000
    assert reader.header_aliases["users"]["First Name"] == "givenName"
    thresholds = load_threshold_settings(path)
    assert thresholds.default == Threshold(percent=5.0)
    assert thresholds.for_entity("students") == Threshold(percent=5.0, count=200)


def test_the_cli_stops_with_one_line_and_exit_2(tmp_path: Path, capsys) -> None:
    path = tmp_path / "settings.toml"
    path.write_text("[thresholds.students]\ncount = 1.5\n")
    assert main(["check", str(SAMPLE_UPLOAD), "--config", str(path)]) == 2
    flags = ["--database-url", f"sqlite:///{tmp_path / 'r.db'}", "--data-dir", str(tmp_path / "data")]
    assert main(["db", "seed-demo", *flags]) == 0
    capsys.readouterr()
    assert (
        main(["import", str(SAMPLE_UPLOAD), "--tenant", "district-0042", "--config", str(path), *flags]) == 2
    )
    said = "[thresholds.students] count must be a whole number of rows, not 1.5"
    assert capsys.readouterr().err == f"cannot run: settings file {path}: {said}\n"

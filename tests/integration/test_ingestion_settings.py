"""The group commit's settings: typed, bounded, and empty meaning unset."""

from __future__ import annotations

from pathlib import Path

import pytest

from entrypoints.settings import SettingsError, load_settings

VARIABLES = (
    "TRACKING_FLUSH_MS",
    "TRACKING_QUEUE_SIZE",
    "TRACKING_COMMIT_TIMEOUT_MS",
    "TRACKING_GEODATA_RETRY_S",
)


def test_the_group_commit_defaults_flush_in_milliseconds_and_bound_the_wait(
    tmp_path: Path,
) -> None:
    settings = load_settings({"TRACKING_DATA_DIR": str(tmp_path)})
    assert (settings.flush_ms, settings.queue_size, settings.commit_timeout_ms) == (
        2,
        10_000,
        2_000,
    )
    assert settings.geodata_retry_s == 30


def test_empty_group_commit_variables_count_as_unset(tmp_path: Path) -> None:
    empty = dict.fromkeys(VARIABLES, "")
    settings = load_settings({"TRACKING_DATA_DIR": str(tmp_path), **empty})
    assert (settings.flush_ms, settings.queue_size, settings.commit_timeout_ms) == (
        2,
        10_000,
        2_000,
    )


def test_group_commit_variables_are_read_as_numbers(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "TRACKING_DATA_DIR": str(tmp_path),
            "TRACKING_FLUSH_MS": "0",
            "TRACKING_QUEUE_SIZE": "50",
            "TRACKING_COMMIT_TIMEOUT_MS": "750",
            "TRACKING_GEODATA_RETRY_S": "5",
        }
    )
    assert (settings.flush_ms, settings.queue_size, settings.commit_timeout_ms) == (0, 50, 750)
    assert settings.geodata_retry_s == 5


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("TRACKING_FLUSH_MS", "fast"),
        ("TRACKING_FLUSH_MS", "5000"),
        ("TRACKING_QUEUE_SIZE", "0"),
        ("TRACKING_COMMIT_TIMEOUT_MS", "-1"),
        ("TRACKING_GEODATA_RETRY_S", "1.5"),
    ],
)
def test_a_bad_group_commit_value_is_a_clear_error_naming_it(
    tmp_path: Path, variable: str, value: str
) -> None:
    with pytest.raises(SettingsError, match=variable):
        load_settings({"TRACKING_DATA_DIR": str(tmp_path), variable: value})

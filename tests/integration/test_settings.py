from __future__ import annotations

import stat
from pathlib import Path

import pytest

from entrypoints.settings import SettingsError, load_settings


def test_defaults_put_the_database_and_a_private_secret_key_in_the_data_folder(
    tmp_path: Path,
) -> None:
    settings = load_settings({}, cwd=tmp_path)
    assert settings.data_dir == (tmp_path / "data").resolve()
    assert settings.database_url == f"sqlite:///{tmp_path.resolve() / 'data' / 'tracking.db'}"
    key_file = tmp_path / "data" / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert key_file.read_text().strip() == settings.secret_key
    assert (settings.host, settings.port, settings.workers) == ("127.0.0.1", 8000, 1)
    assert settings.allowed_hosts == ("localhost", "127.0.0.1")
    assert settings.geodata_url is None


def test_the_generated_secret_key_is_kept_across_restarts(tmp_path: Path) -> None:
    assert load_settings({}, cwd=tmp_path).secret_key == load_settings({}, cwd=tmp_path).secret_key


def test_empty_variables_count_as_unset(tmp_path: Path) -> None:
    # `make` exports variables it was told to pass through as empty strings when unset.
    names = ["TRACKING_ALLOWED_HOSTS", "TRACKING_TRUSTED_PROXIES", "TRACKING_PORT"]
    settings = load_settings(dict.fromkeys(names, ""), cwd=tmp_path)
    assert settings.allowed_hosts == ("localhost", "127.0.0.1")
    assert len(settings.trusted_proxies) == 2
    assert settings.port == 8000


def test_variables_override_the_defaults(tmp_path: Path) -> None:
    settings = load_settings(
        {
            "TRACKING_PORT": "8123",
            "TRACKING_SECRET_KEY": "k" * 40,
            "TRACKING_ALLOWED_HOSTS": "stats.example.com, localhost",
            "TRACKING_TRUSTED_PROXIES": "10.0.0.0/8",
            "TRACKING_PUBLIC_URL": "https://stats.example.com/",
        },
        cwd=tmp_path,
    )
    assert settings.port == 8123
    assert settings.allowed_hosts == ("stats.example.com", "localhost")
    assert settings.public_url == "https://stats.example.com"
    assert not (tmp_path / "data" / "secret_key").exists()


@pytest.mark.parametrize(
    ("name", "value"),
    [("TRACKING_PORT", "eighty"), ("TRACKING_PORT", "70000"), ("TRACKING_TRUSTED_PROXIES", "x")],
)
def test_a_bad_value_is_a_clear_error_naming_the_variable(
    tmp_path: Path, name: str, value: str
) -> None:
    with pytest.raises(SettingsError, match=name):
        load_settings({name: value}, cwd=tmp_path)


def test_the_script_path_defaults_to_a_name_ad_blockers_leave_alone(tmp_path: Path) -> None:
    assert load_settings({}, cwd=tmp_path).script_path == "/js/site.js"
    settings = load_settings({"TRACKING_SCRIPT_PATH": "/assets/app-1.js"}, cwd=tmp_path)
    assert settings.script_path == "/assets/app-1.js"


@pytest.mark.parametrize(
    "value", ["js/site.js", "/js/site", "/js/site.js?x=1", "/{name}.js", "//cdn.js", "/a b.js"]
)
def test_a_script_path_must_be_a_plain_path_ending_in_js(tmp_path: Path, value: str) -> None:
    with pytest.raises(SettingsError, match="TRACKING_SCRIPT_PATH"):
        load_settings({"TRACKING_SCRIPT_PATH": value}, cwd=tmp_path)

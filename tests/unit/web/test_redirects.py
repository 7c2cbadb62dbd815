from __future__ import annotations

from urllib.parse import urljoin

from hypothesis import given
from hypothesis import strategies as st

from entrypoints.web.redirects import safe_next


def test_a_local_path_is_kept() -> None:
    assert safe_next("/sites/3?page=2") == "/sites/3?page=2"


def test_anything_else_falls_back_to_the_default() -> None:
    for target in (
        None,
        "",
        "sites",
        "https://evil.example/",
        "//evil.example",
        "///evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        " /sites",
        "javascript:alert(1)",
    ):
        assert safe_next(target) == "/sites", target


@given(st.text())
def test_whatever_comes_in_the_browser_stays_on_this_host(target: str) -> None:
    # Browsers drop tabs and newlines and read backslashes as slashes before resolving.
    chosen = safe_next(target)
    as_browser_reads_it = chosen.replace("\\", "/").replace("\t", "").replace("\n", "")
    resolved = urljoin("https://tracking.example/login/", as_browser_reads_it)
    assert resolved.startswith("https://tracking.example/")


@given(st.from_regex(r"\A/[a-z0-9/_\-?=&%.]*\Z"))
def test_ordinary_local_paths_are_kept(target: str) -> None:
    if not target.startswith("//"):
        assert safe_next(target) == target

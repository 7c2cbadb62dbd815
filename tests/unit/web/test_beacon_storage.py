"""The beacon when the database cannot store: 503 with Retry-After, never a 204; and /healthz."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import attrs
import pytest
from starlette.testclient import TestClient

from adapters.memory import InMemoryVisitRepository
from entrypoints.bootstrap import Services
from entrypoints.settings import Settings
from entrypoints.web.app import create_app
from support.browser import Browser
from tracking_core.entities import Visit
from tracking_core.errors import StorageUnavailable


class SwitchableVisits(InMemoryVisitRepository):
    """The in-memory repository behind a database that can be switched off."""

    down = False

    def add_many(self, visits: Sequence[Visit]) -> None:
        if self.down:
            raise StorageUnavailable("database is down")
        super().add_many(visits)


@pytest.fixture
def visits(services: Services) -> SwitchableVisits:
    return SwitchableVisits(services.visits.store)  # type: ignore[attr-defined]


@pytest.fixture
def app_client(
    settings: Settings, services: Services, visits: SwitchableVisits
) -> Iterator[TestClient]:
    def check_database() -> None:
        if visits.down:
            raise StorageUnavailable("the database is unreachable")

    wired = attrs.evolve(services, visits=visits, check_database=check_database)
    quick = attrs.evolve(settings, commit_timeout_ms=50)
    with TestClient(create_app(quick, wired), client=("203.0.113.7", 50000)) as client:
        yield client


@pytest.fixture
def site_id(app_client: TestClient) -> int:
    browser = Browser(app_client)
    browser.register()
    return browser.add_site()


def test_a_database_that_cannot_store_gets_a_503_with_retry_after_and_cors(
    app_client: TestClient, visits: SwitchableVisits, site_id: int
) -> None:
    visits.down = True
    response = app_client.get(f"/sites/{site_id}/visit", params={"url": "https://example.com/"})
    assert response.status_code == 503
    assert int(response.headers["retry-after"]) >= 1
    assert response.headers["access-control-allow-origin"] == "*"
    assert "request" in response.json()["errors"]
    assert visits.count_for_site(site_id) == 0

    visits.down = False
    response = app_client.get(f"/sites/{site_id}/visit", params={"url": "https://example.com/"})
    assert response.status_code == 204
    assert visits.count_for_site(site_id) == 1


def test_healthz_reports_the_database_and_the_queue(
    app_client: TestClient, visits: SwitchableVisits
) -> None:
    response = app_client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["queue"]["capacity"] == 10_000

    visits.down = True
    response = app_client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"


def test_a_wrong_host_on_the_beacon_is_a_400_with_cors(app_client: TestClient) -> None:
    response = app_client.get("/sites/1/visit", headers={"host": "evil.example"})
    assert response.status_code == 400
    assert response.headers["access-control-allow-origin"] == "*"


def test_the_beacon_refuses_other_methods_with_405(app_client: TestClient, site_id: int) -> None:
    response = app_client.put(f"/sites/{site_id}/visit")
    assert response.status_code == 405
    assert "POST" in response.headers["allow"]
    assert app_client.post(f"/sites/{site_id}/visit.gif").status_code == 405


def test_a_multipart_beacon_like_send_beacon_with_form_data_is_recorded(
    app_client: TestClient, visits: SwitchableVisits, site_id: int
) -> None:
    response = app_client.post(
        f"/sites/{site_id}/visit",
        files={"url": (None, "https://example.com/multi"), "event": (None, "Signup")},
    )
    assert response.status_code == 204, response.text
    visit = visits.list_for_site(site_id, offset=0, limit=1)[0]
    assert (visit.url, visit.event) == ("https://example.com/multi", "Signup")


def test_a_huge_site_id_is_a_404(app_client: TestClient) -> None:
    response = app_client.get("/sites/99999999999999999999/visit", params={"url": "https://a.b/"})
    assert response.status_code == 404

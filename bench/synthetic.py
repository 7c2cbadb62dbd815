"""Synthetic traffic for the dashboard and storage benchmarks: a year of a site's visits with
the skew real sites show, as the beacon would have recorded them (``Visit`` values).

- Pages: 5,000 paths, Zipf-distributed (a few pages get most views); 4 % of landings carry
  campaign tags, 6 % of URLs some other query string.
- Visits: 1 to ~15 hits (mean about 2), a minute or so apart; 8 % of hits are custom events
  (five names, half with properties); a quarter of visitors come back later the same day.
- Sources: 40 % direct, search engines (Google above all), social networks, 400 referring
  domains (Zipf), campaigns.
- Agents: browsers with their market shares and a dozen versions each, six systems, three
  device types with fitting screen widths.
- Places: 60 countries (Zipf), 4 regions and 10 cities each.
- Time: spread over the 365 days before ``end`` with growth over the year, a weekly rhythm
  and a daily one; hits are produced in time order, as the beacon receives them.

Everything comes from one seeded ``random.Random``: the same arguments give the same traffic.
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from tracking_core.entities import Location, Visit
from tracking_core.reports.agents import DeviceType
from tracking_core.reports.sources import Category, Source, classify

SITE = "https://shop.example"
_SEARCH = [
    ("https://www.google.com/", 20),
    ("https://www.google.de/", 4),
    ("https://www.bing.com/", 3),
    ("https://duckduckgo.com/", 2),
    ("https://www.ecosia.org/", 1),
]
_SOCIAL = [
    ("https://l.facebook.com/", 3),
    ("https://t.co/abc", 2),
    ("https://www.reddit.com/r/x/", 2),
    ("https://news.ycombinator.com/item?id=1", 1),
    ("https://www.linkedin.com/feed/", 1),
]
_BROWSERS = [
    ("Chrome", 60, "desktop"),
    ("Safari", 20, "mobile"),
    ("Firefox", 7, "desktop"),
    ("Edge", 7, "desktop"),
    ("Samsung Internet", 4, "mobile"),
    ("Opera", 2, "desktop"),
]
_SYSTEMS = {
    "desktop": [("Windows", 6), ("macOS", 3), ("Linux", 1), ("Chrome OS", 1)],
    "mobile": [("Android", 6), ("iOS", 5)],
    "tablet": [("iOS", 3), ("Android", 2)],
}
_WIDTHS = {
    "desktop": (1280, 1440, 1536, 1920, 2560),
    "mobile": (360, 375, 390, 412, 430),
    "tablet": (768, 810, 820, 1024),
}
_PARTNERS = tuple(f"https://partner{i}.example/" for i in range(20))
_EVENTS = [
    ("Signup", ("plan", ("free", "pro", "team"))),
    ("Purchase", ("plan", ("pro", "team"))),
    ("Download", ("file", ("guide.pdf", "app.dmg", "app.exe"))),
    ("Outbound Link: Click", ("url", _PARTNERS)),
    ("Newsletter", None),
]
_CAMPAIGN = "?utm_source=newsletter&utm_medium=email&utm_campaign=week-"


class Traffic:
    def __init__(self, *, seed: int = 1, end: datetime | None = None) -> None:
        self.random = random.Random(seed)
        self.end = (end or datetime(2026, 6, 30, tzinfo=UTC)).replace(
            hour=0, minute=0, second=0, microsecond=0
        ) + timedelta(days=1)
        rnd = self.random
        sections = ("blog", "products", "docs", "help", "category")
        slugs = ("winter-sale", "how-to-choose", "setup", "faq", "shoes")
        self.pages = ["/"] + [f"/{sections[n % 5]}/{slugs[n // 5 % 5]}-{n}" for n in range(1, 5000)]
        self._page_weights = _cumulative(
            [1 / (rank + 1) ** 1.05 for rank in range(len(self.pages))]
        )
        words = ("blog", "news", "forum", "wiki")
        referrals = [f"https://{words[n % 4]}{n}.example/post/{n % 7}" for n in range(400)]
        self._referrers = (
            [(url, w * 1.0) for url, w in _SEARCH]
            + [(url, w * 0.8) for url, w in _SOCIAL]
            + [(url, 12 / (rank + 1) ** 1.1) for rank, url in enumerate(referrals)]
        )
        self._referrer_weights = _cumulative([w for _, w in self._referrers])
        countries = [(f"C{n:02d}", f"Country {n}") for n in range(60)]
        self._places = []
        for rank, (code, name) in enumerate(countries):
            for r in range(4):
                for c in range(10):
                    weight = 1 / (rank + 1) ** 1.2 / (r + 1) / (c + 1)
                    location = Location(
                        city=f"City {code}-{r}-{c}",
                        region_name=f"Region {code}-{r}",
                        country_code=code,
                        country_name=name,
                        latitude=round(rnd.uniform(-60, 60), 4),
                        longitude=round(rnd.uniform(-180, 180), 4),
                    )
                    self._places.append((location, weight))
        self._place_weights = _cumulative([w for _, w in self._places])
        self.source_cache: dict[tuple[str | None, str], Source] = {}

    def visits(self, count: int) -> Iterator[Visit]:
        """``count`` hits over the year before ``end``, in time order."""
        days = 365
        growth = [1 + day / days for day in range(days)]
        weekly = [1.0, 1.05, 1.05, 1.0, 0.95, 0.7, 0.65]
        shares = [growth[d] * weekly[d % 7] for d in range(days)]
        total = sum(shares)
        start = self.end - timedelta(days=days)
        produced = 0
        for day in range(days):
            want = round(count * sum(shares[: day + 1]) / total) - produced
            hits = self._day(start + timedelta(days=day), want)
            produced += len(hits)
            yield from hits

    def _day(self, midnight: datetime, want: int) -> list[Visit]:
        rnd = self.random
        hits: list[Visit] = []
        visitor_base = rnd.getrandbits(62)
        n = 0
        while len(hits) < want:
            n += 1
            visitor = visitor_base ^ n
            agent = self._agent()
            place = self._pick(self._places, self._place_weights)[0]
            ip = f"10.{n % 250}.{n // 250 % 250}.0"
            sessions = 2 if rnd.random() < 0.25 else 1
            at = midnight + timedelta(seconds=_daily_second(rnd))
            for _ in range(sessions):
                hits.extend(self._session(visitor, agent, place, ip, at, want - len(hits)))
                at += timedelta(minutes=rnd.randint(40, 300))
                if at >= midnight + timedelta(days=1) or len(hits) >= want:
                    break
        hits = [h for h in hits if h.created_at < midnight + timedelta(days=1)]
        hits.sort(key=lambda hit: hit.created_at)
        return hits[:want]

    def _session(
        self,
        visitor: int,
        agent: tuple[str, str, str, DeviceType, int],
        place: Location,
        ip: str,
        at: datetime,
        room: int,
    ) -> list[Visit]:
        rnd = self.random
        length = min(room, 1 + int(rnd.expovariate(1.0)) + (rnd.random() < 0.3))
        referrer = None
        if rnd.random() > 0.4:
            referrer = self._pick(self._referrers, self._referrer_weights)[0]
        browser, version, system, device, width = agent
        hits = []
        for position in range(length):
            path = self._pick_page()
            url = SITE + path
            if position == 0 and rnd.random() < 0.04:
                url += f"{_CAMPAIGN}{rnd.randint(1, 52)}"
            elif rnd.random() < 0.06:
                url += f"?ref={rnd.randint(1, 30)}"
            event, props = "pageview", {}
            if position and rnd.random() < 0.08:
                event, prop = _EVENTS[rnd.randrange(len(_EVENTS))]
                if prop is not None and rnd.random() < 0.5:
                    props = {prop[0]: rnd.choice(prop[1])}
            source = self._source(referrer if position == 0 else SITE + "/", url)
            hits.append(
                Visit(
                    site_id=1,
                    created_at=at,
                    url=url,
                    event=event,
                    browser=browser,
                    browser_version=version,
                    os=system,
                    device_type=device,
                    screen_width=width,
                    visitor_id=visitor,
                    source=source,
                    ip_address=ip,
                    location=place,
                    props=props,
                )
            )
            at += timedelta(seconds=int(rnd.expovariate(1 / 70)) + 1)
        return hits

    def _agent(self) -> tuple[str, str, str, DeviceType, int]:
        rnd = self.random
        browser, _, kind = rnd.choices(_BROWSERS, weights=[b[1] for b in _BROWSERS])[0]
        if kind == "mobile" and rnd.random() < 0.15:
            kind = "tablet"
        elif kind == "desktop" and rnd.random() < 0.25:
            kind = "mobile"
        systems = _SYSTEMS[kind]
        system = rnd.choices(systems, weights=[s[1] for s in systems])[0][0]
        version = str(120 + min(int(rnd.expovariate(0.4)), 20))
        return browser, version, system, DeviceType(kind), rnd.choice(_WIDTHS[kind])

    def _pick_page(self) -> str:
        weights = self._page_weights
        return self.pages[bisect.bisect(weights, self.random.random() * weights[-1])]

    def _pick(self, items: Sequence[tuple[Any, float]], weights: list[float]) -> tuple[Any, float]:
        return items[bisect.bisect(weights, self.random.random() * weights[-1])]

    def _source(self, referrer: str | None, url: str) -> Source:
        key = (referrer, url)
        found = self.source_cache.get(key)
        if found is None:
            if len(self.source_cache) > 100_000:
                self.source_cache.clear()
            found = self.source_cache[key] = classify(referrer, url, site_host="shop.example")
        return found


def _cumulative(weights: list[float]) -> list[float]:
    return list(itertools.accumulate(weights))


def _daily_second(rnd: random.Random) -> int:
    """A second of the day, busier in the afternoon and evening (UTC)."""
    while True:
        second = rnd.randrange(86_400)
        if rnd.random() < 0.35 + 0.65 * math.sin(math.pi * second / 86_400) ** 2:
            return second


__all__ = ["SITE", "Category", "Traffic"]

"""A synthetic traffic log whose true numbers are known, for the accuracy test.

Each request is built from people, their days and their visits, so the truth is counted from
that plan, not from anything the product computes: people on known browsers and addresses,
visits cut by pauses chosen on purpose (29 minutes 59 seconds continues one; exactly 30
minutes starts the next), bounces, events with properties, every kind of source, and the
requests that must count for nothing (Do Not Track, Global Privacy Control, prefetches) or
only as bots.
"""

from __future__ import annotations

import json
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import attrs

SITE = "https://shop.example"
TZ = ZoneInfo("Europe/Paris")
#: March 29th 2026 is 23 hours long in Paris: clocks go forward at 2 a.m.
DAYS = (date(2026, 3, 27), date(2026, 3, 28), date(2026, 3, 29))
PAGES = ("/", "/pricing", "/shop", "/shop/shoes", "/blog/how-to", "/about")
#: (user agent, browser, system, device, screen width)
AGENTS = (
    (
        "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0",
        "Firefox",
        "Linux",
        "desktop",
        1440,
    ),
    (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/18.5 Mobile/15E148 Safari/604.1",
        "Safari",
        "iOS",
        "mobile",
        390,
    ),
    (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/139.0.0.0 Safari/537.36 Edg/139.0.0.0",
        "Edge",
        "Windows",
        "desktop",
        1920,
    ),
    (
        "Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/139.0.0.0 Safari/537.36",
        "Chrome",
        "Android",
        "tablet",
        800,
    ),
)
BOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
#: (referrer, campaign tags on the landing URL, the source's name)
SOURCES = (
    (None, "", "Direct / None"),
    ("https://www.google.com/", "", "Google"),
    ("https://www.google.fr/", "", "Google"),
    ("https://t.co/Abc", "", "X (Twitter)"),
    ("https://blog.example/a-post", "", "blog.example"),
    (None, "?utm_source=newsletter&utm_medium=email&utm_campaign=spring", "newsletter"),
)
#: The geodata service's answers, by address.
PLACES = {
    "8.8.1.": {"city": "Lyon", "region_name": "Auvergne-Rhône-Alpes", "country_code": "FR",
               "country_name": "France"},
    "8.8.2.": {"city": "Berlin", "region_name": "Berlin", "country_code": "DE",
               "country_name": "Germany"},
    "8.8.3.": {"country_code": "JP", "country_name": "Japan"},
}  # fmt: skip


@attrs.frozen
class Hit:
    at: datetime
    path: str
    event: str | None = None
    props: dict[str, str] = attrs.field(factory=dict)
    referrer: str | None = None
    tags: str = ""


@attrs.frozen
class Visit:
    person: int
    day: date
    hits: tuple[Hit, ...]
    source: str


@attrs.frozen
class Person:
    number: int
    ip: str
    agent: tuple[str, str, str, str, int]

    @property
    def place(self) -> dict[str, str]:
        return PLACES[self.ip.rsplit(".", 1)[0] + "."]


@attrs.frozen
class Request:
    """One beacon request: when, as whom, with which headers and fields."""

    at: datetime
    ip: str
    user_agent: str
    fields: dict[str, object]
    headers: dict[str, str] = attrs.field(factory=dict)
    #: Sent as a ``text/plain`` JSON body (as the script does) rather than a query string.
    as_json: bool = False


@attrs.frozen
class TrafficLog:
    people: tuple[Person, ...]
    visits: tuple[Visit, ...]
    requests: tuple[Request, ...]
    bots: int


def traffic_log(seed: int = 3) -> TrafficLog:
    rnd = random.Random(seed)
    people = tuple(
        Person(n, f"8.8.{n % 3 + 1}.{10 + n}", AGENTS[n % len(AGENTS)]) for n in range(8)
    )
    visits: list[Visit] = []
    requests: list[Request] = []
    bots = 0
    for day in DAYS:
        for person in rnd.sample(people, 6):
            start = datetime.combine(day, time(7 + person.number), TZ)
            for n in range(rnd.randint(1, 3)):
                visit = _visit(rnd, person, day, start)
                visits.append(visit)
                requests.extend(_requests(person, visit))
                # Exactly 30 minutes after the last hit: a new visit.
                start = visit.hits[-1].at + timedelta(minutes=30 + 50 * n)
        for n in range(3):  # what counts for nothing
            at = datetime.combine(day, time(20, n), TZ)
            page: dict[str, object] = {"url": SITE + "/pricing"}
            agent = AGENTS[0][0]
            requests.append(Request(at, "8.8.1.99", agent, page, {"DNT": "1"}))
            requests.append(Request(at, "8.8.2.99", agent, page, {"Sec-GPC": "1"}))
            requests.append(Request(at, "8.8.3.99", agent, page, {"Sec-Purpose": "prefetch"}))
            requests.append(Request(at, "66.249.66.1", BOT, page))
            bots += 1
    requests.sort(key=lambda r: r.at)
    return TrafficLog(people, tuple(visits), tuple(requests), bots)


def _visit(rnd: random.Random, person: Person, day: date, start: datetime) -> Visit:
    referrer, tags, source = SOURCES[rnd.randrange(len(SOURCES))]
    hits = [Hit(start, rnd.choice(PAGES), referrer=referrer, tags=tags)]
    for _ in range(rnd.choice([0, 0, 1, 2, 4])):
        pause = rnd.choice(
            [timedelta(seconds=5), timedelta(minutes=3), timedelta(minutes=29, seconds=59)]
        )
        at = hits[-1].at + pause
        if rnd.random() < 0.25:
            event, props = rnd.choice(
                [("Signup", {"plan": "pro"}), ("Signup", {"plan": "free"}), ("Download", {})]
            )
            hits.append(Hit(at, hits[-1].path, event=event, props=props))
        else:
            hits.append(Hit(at, rnd.choice(PAGES), referrer=SITE + hits[-1].path))
    return Visit(person.number, day, tuple(hits), source)


def _requests(person: Person, visit: Visit) -> Iterator[Request]:
    agent, _, _, _, width = person.agent
    for n, hit in enumerate(visit.hits):
        fields: dict[str, object] = {"url": SITE + hit.path + hit.tags, "width": width}
        if hit.referrer:
            fields["referrer"] = hit.referrer
        if hit.event:
            fields["event"] = hit.event
            if hit.props:
                fields["props"] = dict(hit.props)
        yield Request(hit.at, person.ip, agent, fields, as_json=n % 2 == 1)


# -- the truth -------------------------------------------------------------------------------


@attrs.frozen
class Truth:
    visitors: int
    visits: int
    page_views: int
    bounces: int
    duration_seconds: int
    #: Per day: (visitors, page views).
    days: dict[date, tuple[int, int]]
    #: Per panel: item -> (visitors, count); entry and exit pages: (0, visits).
    panels: dict[str, dict[str, tuple[int, int]]]
    #: For "Signup": (property, value) -> events.
    properties: dict[tuple[str, str], int]
    bots: int


def truth(log: TrafficLog) -> Truth:
    people = {p.number: p for p in log.people}
    visitor_days = {(v.person, v.day) for v in log.visits}
    page_views = sum(1 for v in log.visits for h in v.hits if h.event is None)
    days = {
        day: (
            len({v.person for v in log.visits if v.day == day}),
            sum(1 for v in log.visits if v.day == day for h in v.hits if h.event is None),
        )
        for day in DAYS
    }
    panels: dict[str, dict[str, tuple[int, int]]] = {}
    per_visit: dict[str, Callable[[Visit], str | None]] = {
        "source": lambda v: v.source,
        "browser": lambda v: people[v.person].agent[1],
        "os": lambda v: people[v.person].agent[2],
        "device": lambda v: people[v.person].agent[3],
        "country": lambda v: people[v.person].place["country_name"],
        "region": lambda v: _region(people[v.person].place),
        "city": lambda v: _city(people[v.person].place),
        "utm_source": lambda v: "newsletter" if v.source == "newsletter" else None,
        "utm_medium": lambda v: "email" if v.source == "newsletter" else None,
        "utm_campaign": lambda v: "spring" if v.source == "newsletter" else None,
    }
    for name, value_of in per_visit.items():
        who: dict[str, set[tuple[int, date]]] = defaultdict(set)
        visits: Counter[str] = Counter()
        for v in log.visits:
            value = value_of(v)
            if value is not None:
                who[value].add((v.person, v.day))
                visits[value] += 1
        panels[name] = {value: (len(who[value]), visits[value]) for value in visits}
    for name, pick in (("entry", _entry), ("exit", _exit)):
        panels[name] = {page: (0, n) for page, n in Counter(pick(v) for v in log.visits).items()}
    hit_panels: tuple[tuple[str, Callable[[Hit], bool]], ...] = (
        ("page", lambda h: h.event is None),
        ("event", lambda h: h.event is not None),
    )
    for name, selects in hit_panels:
        who = defaultdict(set)
        counts: Counter[str] = Counter()
        for v in log.visits:
            for h in v.hits:
                if selects(h):
                    key = h.path if h.event is None else h.event
                    who[key].add((v.person, v.day))
                    counts[key] += 1
        panels[name] = {key: (len(who[key]), counts[key]) for key in counts}
    properties: Counter[tuple[str, str]] = Counter(
        (k, val)
        for v in log.visits
        for h in v.hits
        if h.event == "Signup"
        for k, val in h.props.items()
    )
    return Truth(
        visitors=len(visitor_days),
        visits=len(log.visits),
        page_views=page_views,
        bounces=sum(1 for v in log.visits if _bounce(v)),
        duration_seconds=sum(
            int((v.hits[-1].at - v.hits[0].at).total_seconds()) for v in log.visits
        ),
        days=days,
        panels=panels,
        properties=dict(properties),
        bots=log.bots,
    )


def _bounce(visit: Visit) -> bool:
    return sum(h.event is None for h in visit.hits) == 1 and all(
        h.event is None for h in visit.hits
    )


def _entry(visit: Visit) -> str:
    return next((h.path for h in visit.hits if h.event is None), visit.hits[0].path)


def _exit(visit: Visit) -> str:
    return next((h.path for h in reversed(visit.hits) if h.event is None), visit.hits[-1].path)


def _region(place: dict[str, str]) -> str | None:
    return f"{place['region_name']}, {place['country_name']}" if "region_name" in place else None


def _city(place: dict[str, str]) -> str | None:
    if "city" not in place:
        return None
    return f"{place['city']}, {place['region_name']}, {place['country_name']}"


def geodata_answer(ip: str) -> bytes:
    """What the fake geodata service says about ``ip``."""
    place = PLACES.get(ip.rsplit(".", 1)[0] + ".", {})
    return json.dumps({**place, "latitude": 1.0, "longitude": 2.0} if place else {}).encode()

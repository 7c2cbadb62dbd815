"""The database schema, in SQLAlchemy Core. Migrations must reproduce exactly this.

Strings are unbounded ``Text``: the length limits live in the core's rules, so SQLite (which
ignores lengths) and PostgreSQL (which enforces them) cannot disagree about what fits.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
    true,
)

#: Deterministic constraint names, so later migrations can refer to them on both backends.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend.

    PostgreSQL keeps the instant in ``timestamptz`` but answers in the session's zone; SQLite
    keeps text and answers naive. Storing UTC and reading it back as UTC hides both. Naive input
    is refused rather than guessed at.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.utcoffset() is None:
            raise ValueError(f"a naive datetime cannot be stored: {value!r}")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


#: SQLite only auto-numbers an ``INTEGER PRIMARY KEY`` (a rowid alias), never a ``BIGINT`` one.
BigId = BigInteger().with_variant(Integer(), "sqlite")

metadata = MetaData(naming_convention=NAMING_CONVENTION)

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("email", Text, nullable=False, unique=True),
    Column("name", Text, nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    # SQLite would otherwise give a deleted row's id again (see migration 0010).
    sqlite_autoincrement=True,
)

sessions = Table(
    "sessions",
    metadata,
    Column("token_hash", Text, primary_key=True),
    Column(
        "user_id",
        Integer,
        ForeignKey("users.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("created_at", UtcDateTime, nullable=False),
)

sites = Table(
    "sites",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "owner_id",
        Integer,
        ForeignKey("users.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    Column("base_url", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("timezone", Text, nullable=False, server_default=text("'UTC'")),
    Column("honour_dnt", Boolean, nullable=False, server_default=true()),
    Column("keep_full_ip", Boolean, nullable=False, server_default=false()),
    #: The last month (months since January 1970) whose monthly counts exist: the months
    #: after it are read from their daily counts (``tallies.close_months``).
    Column("counts_closed_through", Integer, nullable=True),
    # A deleted site's pages may still send beacons to its id (see migration 0010).
    sqlite_autoincrement=True,
)

#: Every text a site's visits repeat (URLs, pages, event names, sources, browsers, places,
#: event properties), stored once per site and referred to by id: this is what keeps a visit
#: to a few dozen bytes. Found by a digest of the text, because an index on long text is
#: large (and on PostgreSQL limited to about 2,700 bytes). Per site, so that deleting a site
#: deletes its texts too.
strings = Table(
    "strings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("site_id", Integer, ForeignKey("sites.id", ondelete="CASCADE"), nullable=False),
    #: BLAKE2b-128 of the UTF-8 text: two different texts never share one in practice.
    Column("digest", LargeBinary, nullable=False),
    Column("value", Text, nullable=False),
    UniqueConstraint("site_id", "digest"),
)

#: Visits in the reports' sense (sessions): a visitor's run of hits with no pause of 30
#: minutes, kept up to date as hits arrive. What is the same for all of a visit's hits (where
#: it came from, the browser, the place) is kept here once. Times are whole seconds since
#: 1970 (UTC); text columns ending in ``_id`` refer to ``strings``.
visit_sessions = Table(
    "visit_sessions",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("site_id", Integer, ForeignKey("sites.id", ondelete="CASCADE"), nullable=False),
    #: Null for visits recorded before visitor ids existed: each such hit is its own visit.
    Column("visitor_id", BigInteger, nullable=True),
    Column("started_at", BigInteger, nullable=False),
    Column("duration", Integer, nullable=False),
    Column("page_views", Integer, nullable=False),
    Column("events", Integer, nullable=False),
    Column("entry_page_id", Integer, nullable=False),
    Column("exit_page_id", Integer, nullable=False),
    #: Where the visit came from (``reports.sources.Source``; its category follows).
    Column("source_id", Integer, nullable=False),
    Column("referrer_domain_id", Integer, nullable=True),
    Column("utm_source_id", Integer, nullable=True),
    Column("utm_medium_id", Integer, nullable=True),
    Column("utm_campaign_id", Integer, nullable=True),
    #: What the user agent said (not itself) and the screen width of the first hit.
    Column("browser_id", Integer, nullable=False),
    Column("browser_version_id", Integer, nullable=True),
    Column("os_id", Integer, nullable=False),
    Column("device_id", Integer, nullable=False),
    Column("screen_width", Integer, nullable=True),
    #: The visitor's address, when it is kept whole (the site keeps full addresses, or its
    #: location is pending): here, never in ``strings``, so that cutting it leaves no copy.
    Column("ip_address", Text, nullable=True),
    #: The address cut to its network, once that is all that is kept: an ordinary text.
    Column("network_id", Integer, nullable=True),
    #: The location as JSON (``location_id``), and its country, region and city as labels.
    Column("location_id", Integer, nullable=True),
    Column("country_id", Integer, nullable=True),
    Column("region_id", Integer, nullable=True),
    Column("city_id", Integer, nullable=True),
    #: True while the location of the visit's public address is still to be looked up.
    Column("location_pending", Boolean, nullable=False, server_default=false()),
    #: Failed lookups so far for this visit's address, so a bad one is not retried forever.
    Column("location_attempts", SmallInteger, nullable=False, server_default=text("0")),
    Index("ix_visit_sessions_site_id_started_at", "site_id", "started_at"),
    #: A partial index: only the (few) visits still waiting for a location are in it.
    Index(
        "ix_visit_sessions_ip_address_location_pending",
        "ip_address",
        sqlite_where=text("location_pending"),
        postgresql_where=text("location_pending"),
    ),
)

#: Hits: each page view or custom event the beacon recorded, in its visit. Kept in the order
#: of its key, (site, time, arrival), so the table is its own index by time: no row id, no
#: second copy of the keys (on SQLite; PostgreSQL keeps an index, as ever).
visits = Table(
    "visits",
    metadata,
    Column("site_id", Integer, ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True),
    #: Whole seconds since 1970, UTC.
    Column("at", BigInteger, primary_key=True, autoincrement=False),
    #: The order of arrival among the site's hits of the same second: 0, 1, 2...
    Column("seq", Integer, primary_key=True, autoincrement=False),
    #: No foreign key: visits and their sessions go together, by their site's cascade, and
    #: a key here would make each deleted session search the whole table.
    Column("session_id", BigInteger, nullable=False),
    Column("url_id", Integer, nullable=False),
    Column("page_id", Integer, nullable=False),
    #: Null for a page view.
    Column("event_id", Integer, nullable=True),
    #: The custom event's properties as a JSON object of texts, when it has any.
    Column("props_id", Integer, nullable=True),
    sqlite_with_rowid=False,
)

#: Each visitor's latest visit, while their visitor id can still come back (their site's day):
#: what the writer continues. Rows of days gone by are deleted (``forget_visitors_before``).
visitor_days = Table(
    "visitor_days",
    metadata,
    Column("site_id", Integer, ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True),
    Column("visitor_id", BigInteger, primary_key=True),
    #: The site's local day, as days since 1970-01-01.
    Column("day", Integer, nullable=False),
    Column("session_id", BigInteger, nullable=False),
    sqlite_with_rowid=False,
)

#: The random daily salts of visitor ids (``ports.SaltStore``); deleted 48 hours after made.
salts = Table(
    "salts",
    metadata,
    Column("site_id", Integer, ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("salt", LargeBinary, nullable=False),
    Column("created_at", UtcDateTime, nullable=False, index=True),
)

#: How many bot hits were filtered out per site and local day: nothing else of them is kept.
bot_counts = Table(
    "bot_counts",
    metadata,
    Column("site_id", Integer, ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True),
    Column("day", Date, primary_key=True),
    Column("bots", BigInteger, nullable=False),
)


def _counts(name: str, period: str) -> Table:
    """Counts kept as visits arrive, per site, dimension, period (day or month) and value.

    The key's order serves the dashboard's reads: one dimension over a run of periods.
    ``value_id`` refers to ``strings`` (0 for the site's totals); ``dimension`` is a code of
    ``rollups.DIMENSION_CODES``. Visitors are visitor-days (see ``reports.report``).
    """
    return Table(
        name,
        metadata,
        Column("site_id", Integer, ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True),
        Column("dimension", SmallInteger, primary_key=True, autoincrement=False),
        Column(period, Integer, primary_key=True, autoincrement=False),
        Column("value_id", Integer, primary_key=True, autoincrement=False),
        Column("visitors", Integer, nullable=False),
        Column("visits", Integer, nullable=False),
        #: Page views; for events and event properties, events.
        Column("views", Integer, nullable=False),
        Column("bounces", Integer, nullable=False),
        #: Seconds.
        Column("duration", BigInteger, nullable=False),
        sqlite_with_rowid=False,
    )


#: ``day``: the site's local day, as days since 1970-01-01.
daily_counts = _counts("daily_counts", "day")
#: ``month``: the site's local month, as months since January 1970.
monthly_counts = _counts("monthly_counts", "month")

#: Which values each visitor has been counted for today, so that they count once a day:
#: kept while their day runs, deleted with ``visitor_days``.
visitor_values = Table(
    "visitor_values",
    metadata,
    Column("site_id", Integer, ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True),
    Column("day", Integer, primary_key=True, autoincrement=False),
    Column("visitor_id", BigInteger, primary_key=True, autoincrement=False),
    Column("dimension", SmallInteger, primary_key=True, autoincrement=False),
    Column("value_id", Integer, primary_key=True, autoincrement=False),
    sqlite_with_rowid=False,
)

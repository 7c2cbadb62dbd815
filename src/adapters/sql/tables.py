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
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    Table,
    Text,
    TypeDecorator,
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
)

visits = Table(
    "visits",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("site_id", Integer, ForeignKey("sites.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("url", Text, nullable=False),
    Column("event", Text, nullable=False),
    Column("browser", Text, nullable=False),
    Column("referrer", Text, nullable=True),
    Column("ip_address", Text, nullable=True),
    Column("city", Text, nullable=True),
    Column("zip_code", Text, nullable=True),
    Column("region_name", Text, nullable=True),
    Column("country_code", Text, nullable=True),
    Column("country_name", Text, nullable=True),
    Column("latitude", Float, nullable=True),
    Column("longitude", Float, nullable=True),
    Column("screen_width", Integer, nullable=True),
    #: The visitor's cookieless id of the site's day; null for visits from before ids existed.
    Column("visitor_id", BigInteger, nullable=True),
    #: ``browser`` is the browser's family; with these, what the user agent said (not itself).
    Column("browser_version", Text, nullable=True),
    Column("os", Text, nullable=False, server_default=text("'Unknown'")),
    Column("device_type", Text, nullable=False, server_default=text("'unknown'")),
    #: Where the visit came from (``reports.sources.Source``).
    Column("source", Text, nullable=False, server_default=text("'Direct / None'")),
    Column("source_category", Text, nullable=False, server_default=text("'direct'")),
    Column("referrer_domain", Text, nullable=True),
    Column("utm_source", Text, nullable=True),
    Column("utm_medium", Text, nullable=True),
    Column("utm_campaign", Text, nullable=True),
    #: Custom event properties as a JSON object of strings; null when there are none.
    Column("props", Text, nullable=True),
    #: True while the location of the visit's public address is still to be looked up; the
    #: full address is kept at least that long. Cleared once found, unknown, or given up on.
    Column("location_pending", Boolean, nullable=False, server_default=false()),
    #: Failed lookups so far for this visit's address, so a bad one is not retried forever.
    Column("location_attempts", SmallInteger, nullable=False, server_default=text("0")),
    Index("ix_visits_site_id_created_at", "site_id", "created_at"),
    #: A partial index: only the (few) visits still waiting for a location are in it.
    Index(
        "ix_visits_ip_address_location_pending",
        "ip_address",
        sqlite_where=text("location_pending"),
        postgresql_where=text("location_pending"),
    ),
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

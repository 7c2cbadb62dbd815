"""A database that refuses some rows, as a CHECK constraint would: for testing poison rows.

Visits keep their URL as the id of a stored text, so the trigger looks the text up.
"""

from __future__ import annotations

from sqlalchemy import text

from adapters.sql.engine import make_engine


def refuse_poison_urls(database_url: str) -> None:
    """A trigger that refuses visits to URLs containing "poison", like a CHECK constraint."""
    engine = make_engine(database_url)
    with engine.begin() as connection:
        if engine.dialect.name == "sqlite":
            connection.execute(
                text(
                    "CREATE TRIGGER refuse_poison BEFORE INSERT ON visits "
                    "WHEN (SELECT value FROM strings WHERE id = NEW.url_id) LIKE '%poison%' "
                    "BEGIN SELECT RAISE(ABORT, 'poison visit refused'); END"
                )
            )
        else:
            connection.execute(
                text(
                    "CREATE FUNCTION refuse_poison() RETURNS trigger AS $$ BEGIN "
                    "IF (SELECT value FROM strings WHERE id = NEW.url_id) LIKE '%poison%' "
                    "THEN RAISE EXCEPTION 'poison visit refused' "
                    "USING ERRCODE = 'check_violation'; END IF; RETURN NEW; END $$ "
                    "LANGUAGE plpgsql"
                )
            )
            connection.execute(
                text(
                    "CREATE TRIGGER refuse_poison BEFORE INSERT ON visits "
                    "FOR EACH ROW EXECUTE FUNCTION refuse_poison()"
                )
            )
    engine.dispose()

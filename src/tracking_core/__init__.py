"""Tracking's framework-free core: entities, rules, use cases and the ports they need.

Drive the use cases with any adapters that satisfy the protocols in ``tracking_core.ports``;
``adapters.memory`` has in-memory ones with real behaviour.
"""

from tracking_core.entities import Location, Site, User, Visit
from tracking_core.errors import (
    EmailTaken,
    GeodataUnavailable,
    InvalidCredentials,
    InvalidInput,
    NotFound,
    SiteNotFound,
    StorageUnavailable,
    TrackingError,
    VisitsRefused,
)
from tracking_core.passwords import Pbkdf2PasswordHasher
from tracking_core.use_cases.accounts import (
    LoggedIn,
    change_password,
    delete_account,
    log_in,
    log_out,
    register,
    rename,
    user_for_session,
)
from tracking_core.use_cases.sites import add_site, get_owned_site, list_sites
from tracking_core.use_cases.visits import Hit, VisitPage, build_visit, list_visits, record_visit

__all__ = [
    "EmailTaken",
    "GeodataUnavailable",
    "Hit",
    "InvalidCredentials",
    "InvalidInput",
    "Location",
    "LoggedIn",
    "NotFound",
    "Pbkdf2PasswordHasher",
    "Site",
    "SiteNotFound",
    "StorageUnavailable",
    "TrackingError",
    "User",
    "Visit",
    "VisitPage",
    "VisitsRefused",
    "add_site",
    "build_visit",
    "change_password",
    "delete_account",
    "get_owned_site",
    "list_sites",
    "list_visits",
    "log_in",
    "log_out",
    "record_visit",
    "register",
    "rename",
    "user_for_session",
]

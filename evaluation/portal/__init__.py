"""The web portal: pilot staff submit and follow their indicators; evaluators and funders
see what their role allows (``pilot-eval serve``, ``pilot-eval users``).

Accounts live in ``<store>.portal.db`` beside the submission store (:mod:`.users`); the
pages are in :mod:`.pages` and :mod:`.evaluator_pages`, the routes and who may use them in
:mod:`.app`. Evaluators' plan runs are kept by :mod:`.runs` (their summaries by
:mod:`.run_summary`); :mod:`.disclosure` reads the report sets' disclosure logs and
decides what funders get.
"""

from __future__ import annotations

from evaluation.portal.app import PortalConfig, create_app
from evaluation.portal.indicators import IndicatorSeries, pilot_series
from evaluation.portal.server import free_port, is_loopback, running_portal, serve
from evaluation.portal.users import ROLES, NewUser, Role, User, UserStore, users_path

__all__ = [
    "ROLES",
    "IndicatorSeries",
    "NewUser",
    "PortalConfig",
    "Role",
    "User",
    "UserStore",
    "create_app",
    "free_port",
    "is_loopback",
    "pilot_series",
    "running_portal",
    "serve",
    "users_path",
]

"""labfleet's HTML pages under /hub/labfleet, one module per page family."""

from collections.abc import Mapping
from typing import Any

from jupyterhub.user import User

from ..authz import declared_scopes, holds_any
from ..context import LabFleetContext
from . import (
    activity,
    audit,
    branding,
    environment,
    groups,
    notifications,
    panel,
    settings,
    users,
    workshop,
)

default_handlers: list[tuple] = [
    *groups.default_handlers,
    *environment.default_handlers,
    *settings.default_handlers,
    *audit.default_handlers,
    *branding.default_handlers,
    *users.default_handlers,
    *panel.default_handlers,
    *notifications.default_handlers,
    *activity.default_handlers,
    *workshop.default_handlers,
]


class Navigation:
    """labfleet's pages in the hub's navigation bar: the template variable ``labfleet_nav``.

    Each page is shown to a caller holding one of the scopes its GET declares, for any
    user (admins hold some for everyone, users theirs for themselves), when the page's
    ``in_navigation`` agrees. Not a function: JupyterHub calls the template variables that are.
    """

    def __init__(self, context: LabFleetContext):
        self.context = context

    PAGES = (
        ("People", "labfleet/users", users.UsersPageHandler),
        ("Environment", "labfleet/environment", environment.EnvironmentPageHandler),
        ("Groups", "labfleet/groups", groups.GroupsPageHandler),
        ("Notifications", "labfleet/notifications", notifications.NotificationsPage),
        ("Activity", "labfleet/activity", activity.ActivityPage),
        ("Workshop", "labfleet/workshop", workshop.WorkshopPage),
        ("Settings", "labfleet/settings", settings.SettingsPage),
        ("Audit", "labfleet/audit", audit.AuditPage),
    )

    def links(self, parsed_scopes: Mapping[str, Any], user: User) -> list[tuple[str, str]]:
        """(label, path below the hub's base URL) of the pages ``user`` may open and needs."""
        return [
            (label, path)
            for label, path, page in self.PAGES
            if holds_any(parsed_scopes, declared_scopes(page.get) or ())
            and page.in_navigation(self.context, user.orm_user)
        ]

"""Groups that grant things: labfleet's properties on JupyterHub groups, and how they combine.

:mod:`.properties` checks one group's properties, :mod:`.grants` combines the groups of
one user, :mod:`.config` is the ``groups`` section of labfleet.yaml and :mod:`.views`
what the API and the pages show.

A group's labfleet properties are keys of JupyterHub's own group ``properties`` (other
keys are left to other tools). They come from the ``groups`` section of labfleet.yaml
(through JupyterHub's ``load_groups``, at every start) or from the admin page and API.

A user in several groups gets one :class:`Grants`, resolved by :func:`.grants.resolve`:
groups are applied in the order (priority, name), so a higher ``priority`` wins and,
at equal priority, the name that sorts last:

- ``environment``: merged by name; a name set by several groups takes the winner's value.
- ``cpu_limit``, ``mem_limit``, ``disk_limit``: the winner among the groups that set it
  (not the largest: a high-priority group can lower a limit as well as raise it).
- ``mounts``: the union; of two mounts at the same place in the home (or one inside
  the other) the winner's is kept and the other dropped, with a notice.
- ``images``: the union. ``gpu``, ``user_environment``: granted if any group grants it.
- Docker access comes from membership of the groups named ``docker_socket_group``
  and ``privileged_group``, not from a property.
"""

from .config import Groups, group_grants, group_warnings, start_grants, with_configured_groups
from .grants import Grants, not_applied, resolve, start_notices
from .properties import (
    PROPERTIES,
    BackendFacts,
    Mount,
    PropertiesError,
    Rules,
    check_group,
    check_properties,
    labfleet_properties,
)

__all__ = [
    "PROPERTIES",
    "BackendFacts",
    "Grants",
    "Groups",
    "Mount",
    "PropertiesError",
    "Rules",
    "check_group",
    "check_properties",
    "group_grants",
    "group_warnings",
    "labfleet_properties",
    "not_applied",
    "resolve",
    "start_grants",
    "start_notices",
    "with_configured_groups",
]

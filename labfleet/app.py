"""LabFleet: JupyterHub with labfleet's defaults, backends, tables and first admin."""

from __future__ import annotations

import hashlib
import os
import sys
from functools import cached_property
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from jupyterhub import orm
from jupyterhub.app import JupyterHub
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from tornado import web
from traitlets import (
    Bool,
    Dict,
    Enum,
    Instance,
    Integer,
    List,
    TraitError,
    Unicode,
    default,
    validate,
)
from traitlets.config import Config, Configurable

from . import apihandlers, audit, configfile, handlers, hubs, running, scopes, settings
from .activity.config import Activity
from .activity.monitor import ActivityMonitor
from .audit.hub_requests import audited
from .audit.pruning import AuditLog, start_pruning
from .auth import passwords, temporary
from .auth.accounts import Accounts
from .auth.authenticator import LabFleetAuthenticator
from .auth.credentials import framed
from .auth.provision import Provisioner
from .backends import BACKENDS, Backend, processes
from .backends.accounts import account_name_of
from .branding import Branding, hub_brand, image_file, problems, write_lab_folder
from .configfile import readable_secrets
from .context import LabFleetContext
from .culling import Culling
from .db import migrate
from .db.user_rows import UserRows
from .gpu import Gpu, GpuStatus, detect
from .groups import Groups, Rules, group_warnings, not_applied, with_configured_groups
from .metrics import count_spawn_failures
from .notify import tickets
from .notify.broadcaster import Broadcaster, ProxyRoute
from .notify.config import Notifications
from .operations import Operations
from .profiles import Environments
from .proxy.caddy import CaddyProxy
from .proxy.config import is_address
from .proxy.https import Https
from .proxy.routes import socket_url
from .settings import Section, SectionTable
from .settings_report import SettingsSource
from .traitlets import check_url, component_traits
from .volumes import DEFAULT_VOLUMES, parse_volumes
from .workshop.config import Workshop
from .workshop.handout import Handout
from .workshop.tools import WorkshopTools

PACKAGE = Path(__file__).parent


def foreign_listener(what: str, url: str) -> str | None:
    """Why the port of ``url`` may not be used: held, for IPv4 or IPv6 (a browser's
    ``localhost`` tries both), by a process of another account."""
    parsed = urlparse(url)
    host = parsed.hostname or "0.0.0.0"
    if parsed.port is None or not (is_address(host) or host == "localhost"):
        # a host name: a service elsewhere, such as the chart's proxy on Kubernetes
        return None
    twins = {"127.0.0.1": "::1", "::1": "127.0.0.1", "localhost": "::1", "0.0.0.0": "::"}
    for address in (host if host != "localhost" else "127.0.0.1", twins.get(host)):
        found = address and processes.listener(parsed.port, address)
        if not found or found.uid == os.geteuid():
            continue
        pids = processes.holders(found.inode)
        owner = account_name_of(found.uid)
        held_by = f"process {', '.join(map(str, pids))}" if pids else "a process"
        return (
            f"the {what} port {address}:{parsed.port} is held by {held_by} of the account "
            f"{owner}, not by labfleet's. Another account must never answer in the hub's "
            f"place: stop it (kill {' '.join(map(str, pids)) or '...'}) and start labfleet again."
        )
    return None


BIND_URL_EXAMPLE = "http://127.0.0.1:8000 or https://hub.example.org"


def check_public_url(value: str) -> None:
    """TraitError unless ``value`` is '' or an http(s) URL (https:// when it names none,
    as JupyterHub takes it)."""
    example = "https://hub.example.org"
    try:
        if value:
            check_url(value if "://" in value else f"https://{value}", ("http", "https"), example)
    except TraitError:
        raise TraitError(f"{value!r} is not a URL such as {example}") from None


CULLER = "labfleet-culler"
# left in the hub's folder by `labfleet stop --servers`: this stop ends every server too
STOP_SERVERS = "stop-servers"


# labfleet's own settings objects: labfleet.yaml section -> (LabFleet attribute, class)
COMPONENTS: dict[str, tuple[str, type[Configurable]]] = {
    "accounts": ("accounts", Accounts),
    "culling": ("culling", Culling),
    "groups": ("groups", Groups),
    "branding": ("branding", Branding),
    "gpu": ("gpu", Gpu),
    "audit": ("audit_log", AuditLog),
    "notifications": ("notifications", Notifications),
    "activity": ("activity", Activity),
    "environments": ("environments", Environments),
    "workshop": ("workshop", Workshop),
    "https": ("https", Https),
}
# every row a section's feature keeps under a user's name: deleted and renamed with the user
USER_ROWS = UserRows.gather(klass for _, klass in COMPONENTS.values())

CULLER_ROLE = {
    "name": CULLER,
    "description": "Stop idle servers, reading each user's session deadline.",
    "scopes": [
        "list:users",
        "read:users:activity",
        "read:servers",
        "delete:servers",
        scopes.SESSION,
    ],
    "services": [CULLER],
}


class LabFleet(JupyterHub):
    """A JupyterHub that runs labfleet."""

    name = "labfleet"
    description = "labfleet: a multi-user Jupyter platform on JupyterHub."

    config_file = Unicode(
        settings.DEFAULT_FILE, help="The labfleet.yaml to load (missing: all defaults)."
    ).tag(config=True)

    jupyterhub_config_files = List(
        Unicode(),
        help="JupyterHub configuration files (Python) loaded before labfleet.yaml, which "
        "overrides what they set: the Zero to JupyterHub chart's jupyterhub_config.py on "
        "Kubernetes (labfleet up --jupyterhub-config; see docs/kubernetes.md).",
    ).tag(config=True)

    data_dir = Unicode(
        "labfleet-data",
        help="Folder for the hub's database, secrets and (local backend) users' volumes and logs.",
    ).tag(config=True)

    backend = Enum(list(BACKENDS), default_value="local", help="Where users' servers run.").tag(
        config=True
    )

    admin_user = Unicode(
        "admin",
        help="Name of the admin created, with a generated password, when the hub has no admin.",
    ).tag(config=True)

    volumes = Dict(
        DEFAULT_VOLUMES,
        help="""The volumes every user has: name -> {label, description, mount}.

        ``mount`` is a folder inside the user's home ("" for the volume named home,
        which must exist). Each can be reset on its own while the server is stopped.
        """,
    ).tag(config=True)

    @validate("volumes")
    def _check_volumes(self, proposal: Any) -> dict:
        try:
            parse_volumes(proposal.value)
        except ValueError as e:
            raise TraitError(str(e)) from None
        return proposal.value

    users_reset_home = Bool(
        False,
        help="Whether users may reset their own home volume from the control panel (every "
        "notebook in it is lost). Off, only an admin resets a home; users reset their other "
        "volumes (workspace, cache) themselves.",
    ).tag(config=True)

    operations_per_minute = Integer(
        6,
        min=1,
        help="How often a user may restart, reset volumes or extend their own server, per "
        "minute and kind (admins acting on others' servers are not limited: each server "
        "still does one thing at a time, and each is audited).",
    ).tag(config=True)

    runtime = Instance(Backend, help="The backend instance.")
    file_config = Instance(
        Config, args=(), help="What labfleet.yaml sets (the settings page marks it as set)."
    )

    # the components' traits, one per row of COMPONENTS (at class scope, locals() is
    # the namespace the class is made from)
    locals().update(component_traits(COMPONENTS.values()))

    @classmethod
    def section_table(cls) -> SectionTable:
        """labfleet.yaml's sections with each backend: section -> the hub's attribute -> class."""

        def sections(backend: str) -> list[Section]:
            return [
                Section("labfleet", cls, "", own_traits=True),
                Section("hub", JupyterHub, ""),
                Section("auth", LabFleetAuthenticator, "authenticator"),
                Section("proxy", BACKENDS[backend].proxy_class, "proxy"),
                *(Section(name, klass, attr) for name, (attr, klass) in COMPONENTS.items()),
                Section("spawner", BACKENDS[backend].spawner_class),
                *(
                    Section(name, klass, "runtime", in_use=name == backend)
                    for name, klass in BACKENDS.items()
                ),
            ]

        default_backend = cls.class_traits()["backend"].default_value
        return SectionTable(default_backend, {name: sections(name) for name in BACKENDS})

    @classmethod
    def from_file(cls, path: Path, data_dir: str | None = None) -> LabFleet:
        """A hub configured by the labfleet.yaml at ``path`` (all defaults if it is missing)
        and ``data_dir`` if given, not started: for commands that read its settings."""
        config = settings.load(path, cls.section_table()) if path.exists() else Config()
        if data_dir:
            config.LabFleet.data_dir = str(Path(data_dir).absolute())
        return cls(config=config, config_file=str(path))

    @property
    def sections(self) -> list[Section]:
        """The sections of labfleet.yaml with this hub's backend."""
        return list(self.section_table().sections(self.backend))

    @default("logo_file")
    def _logo_file_default(self) -> str:
        logo = image_file(self.branding.logo)
        return str(logo) if logo else super()._logo_file_default()

    registry = Unicode(
        help="File listing the hubs this account ran (their data directories and files): a "
        "start without a labfleet.yaml that would make a new hub is refused while another "
        "one exists. Default: /var/lib/labfleet/hubs.json for root, else in ~/.local/state.",
    ).tag(config=True)

    @validate("config_file")
    def _validate_config_file(self, proposal: Any) -> str:
        # a missing labfleet.yaml means all defaults (labfleet up refuses one it was given)
        return proposal.value

    @default("registry")
    def _registry_default(self) -> str:
        return str(settings.default_registry())

    another_hub = Bool(
        False,
        help="Start a new hub (a data directory that does not exist yet, and no labfleet.yaml) "
        "although this machine has one already: labfleet up --new.",
    ).tag(config=True)

    @property
    def data_path(self) -> Path:
        """The data directory; a relative one is relative to labfleet.yaml's folder."""
        return (Path(self.config_file).absolute().parent / self.data_dir).resolve()

    @property
    def hub_dir(self) -> Path:
        """Private files of the hub: database, secrets."""
        return self.data_path / "hub"

    @default("runtime")
    def _runtime_default(self) -> Backend:
        return BACKENDS[self.backend](parent=self, data_dir=self.data_path)

    @default("template_paths")
    def _labfleet_template_paths(self) -> list[str]:
        # not named _template_paths_default: JupyterHub calls that one to find its own
        # templates, which labfleet's extend as "templates/<name>"
        return [str(PACKAGE / "templates"), *self._template_paths_default()]

    @default("cleanup_servers")
    def _cleanup_servers_default(self) -> bool:
        # servers keep running across hub restarts and are adopted again
        # (labfleet up --stop-servers stops them)
        return False

    @default("bind_url")
    def _bind_url_default(self) -> str:
        domain, port = self.https.domain, self.https.port
        if domain:
            return f"https://{domain}" + ("" if port == 443 else f":{port}")
        return "http://127.0.0.1:8000"

    # the hub's addresses, checked before JupyterHub's own validation (which would make
    # "localhost:8000" the URL "http"); the same method names, so they replace its own
    @validate("bind_url")
    def _validate_bind_url(self, proposal: Any) -> str:
        check_url(proposal.value, ("http", "https", "http+unix", "unix+http"), BIND_URL_EXAMPLE)
        return JupyterHub._validate_bind_url(self, proposal)

    @validate("public_url")
    def _validate_public_url(self, proposal: Any) -> str:
        check_public_url(proposal.value)
        return JupyterHub._validate_public_url(self, proposal)

    @validate("subdomain_host")
    def _validate_subdomain_host(self, proposal: Any) -> str:
        check_public_url(proposal.value)
        return JupyterHub._validate_subdomain_host(self, proposal)

    @default("db_url")
    def _db_url_default(self) -> str:
        return f"sqlite:///{self.hub_dir / 'labfleet.sqlite'}"

    @default("cookie_secret_file")
    def _cookie_secret_file_default(self) -> str:
        return str(self.hub_dir / "cookie_secret")

    @default("authenticator_class")
    def _authenticator_class_default(self) -> type:
        return LabFleetAuthenticator

    @default("spawner_class")
    def _spawner_class_default(self) -> type:
        return BACKENDS[self.backend].spawner_class

    @default("proxy_class")
    def _proxy_class_default(self) -> type:
        return BACKENDS[self.backend].proxy_class

    @default("cookie_host_prefix_enabled")
    def _cookie_host_prefix_default(self) -> bool:
        # users' hosts below the hub's cannot plant the hub's cookies (cookie tossing);
        # such cookies must be secure ones, which browsers keep over HTTPS only
        return urlparse(self.subdomain_host).scheme == "https"

    @default("cleanup_proxy")
    def _cleanup_proxy_default(self) -> bool:
        # the proxy outlives the hub (labfleet stop stops it)
        return False

    run_dir = Unicode(
        help="Folder of the Unix sockets of the hub and the users' servers (local and docker "
        "backends). Default: /run/labfleet/<a digest of the data directory> as root, else run "
        "in the data directory.",
    ).tag(config=True)

    @default("run_dir")
    def _run_dir_default(self) -> str:
        if os.geteuid() == 0 and Path("/run").is_dir():
            digest = hashlib.sha256(str(self.data_path).encode()).hexdigest()[:12]
            return f"/run/labfleet/{digest}"
        return str(self.data_path / "run")

    @property
    def uses_sockets(self) -> bool:
        """Whether the hub and the servers listen on Unix sockets (behind Caddy)."""
        return issubclass(BACKENDS[self.backend].proxy_class, CaddyProxy)

    @property
    def hub_socket(self) -> Path:
        return Path(self.run_dir) / "hub" / "hub.sock"

    @default("hub_bind_url")
    def _hub_bind_url_default(self) -> str:
        return socket_url(str(self.hub_socket)) if self.uses_sockets else ""

    @default("hub_connect_url")
    def _hub_connect_url_default(self) -> str:
        return self.hub_bind_url if self.hub_bind_url.startswith("http+unix") else ""

    @default("hub_socket_mode")
    def _hub_socket_mode_default(self) -> int:
        # every server's account reaches the hub's API (in a folder only root writes)
        return 0o666

    def load_config_file(self, filename: str, path: str | None = None) -> None:
        """Load labfleet.yaml through :mod:`labfleet.settings` (no file: all defaults)."""
        for python_file in self.jupyterhub_config_files:
            super().load_config_file(python_file)
        file = Path(filename)
        if not file.exists():
            # JupyterHub itself refuses a named file that is missing before this runs
            return
        try:
            config = settings.load(file, self.section_table())
        except settings.ConfigError as e:
            print(f"labfleet: {e}", file=sys.stderr)
            self.exit(1)
        self.file_config = config.copy()
        config.merge(self.cli_config)
        self.update_config(config)
        self._loaded_config_files.append(str(file.resolve()))

    def init_secrets(self) -> None:
        # the data dir holds the secrets, so it is prepared first
        self.init_data_dir()
        self.init_backend()
        super().init_secrets()

    def init_data_dir(self) -> None:
        config = Path(self.config_file).absolute()
        found = "" if config.exists() else " (not found: all defaults)"
        self.log.info("Configuration %s%s; data directory %s", config, found, self.data_path)
        others = hubs.others(Path(self.registry), self.data_path)
        if not self.data_path.exists() and not config.exists() and others and not self.another_hub:
            where = "; ".join(f"{h.data_dir} (configuration {h.config})" for h in others)
            print(
                f"labfleet: there is no hub here ({config} and {self.data_path} do not exist), "
                f"and this machine has one: {where}. Run labfleet there or give its "
                "--config; to start another hub here, labfleet up --new.",
                file=sys.stderr,
            )
            self.exit(1)
        self.data_path.mkdir(parents=True, exist_ok=True)
        self.data_path.chmod(0o711)
        self.hub_dir.mkdir(mode=0o700, exist_ok=True)
        self.hub_dir.chmod(0o700)
        if self.uses_sockets:
            # the hub's socket folder: every account may enter, only root write
            self.hub_socket.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
            self.hub_socket.parent.chmod(0o755)
        # one hub per data directory: a second one touches nothing (database, proxy)
        try:
            self._lock = running.acquire(self.hub_dir)
        except running.AlreadyRunning as e:
            print(f"labfleet: {e}, on the data directory {self.data_path}", file=sys.stderr)
            self.exit(1)
        hubs.remember(Path(self.registry), self.data_path, config)

    def init_backend(self) -> None:
        if self.uses_sockets:
            self.runtime.sockets_dir = Path(self.run_dir)
            self.runtime.hub_socket = self.hub_socket
        # labfleet.yaml's values were checked as it was loaded (settings.value_problems)
        self.runtime.volumes = parse_volumes(self.volumes, self.users_reset_home)
        self.runtime.environment_images = tuple(
            p.image for p in self.environments.profiles if p.image
        )
        problems = self.runtime.check()
        if problems:
            lines = "\n".join(f"  - {p.what}\n    fix: {p.fix}" for p in problems)
            print(f"labfleet: the {self.backend} backend cannot start:\n{lines}", file=sys.stderr)
            self.exit(1)
        for warning in self.runtime.startup_warnings():
            self.log.warning(warning)
        secrets = readable_secrets(Path(self.config_file))
        if secrets:
            self.log.warning("%s: chmod 600 %s", secrets, self.config_file)
        if urlparse(self.subdomain_host).scheme == "http":
            self.log.warning(
                "hub.subdomain_host is plain HTTP: users' hosts can plant cookies for the "
                "hub's (its __Host- cookies need HTTPS). Set https.domain (see docs/https.md)."
            )
        if self.runtime.isolates_users and not self.subdomain_host:
            self.log.warning(
                "Users are isolated from each other but their servers share the hub's origin: "
                "a page a user's server serves can act as the admin who opens it. For a class, "
                "set hub.subdomain_host (see docs/security.md)."
            )

    def init_proxy(self) -> None:
        super().init_proxy()
        if isinstance(self.proxy, CaddyProxy):
            self.runtime.max_body = self.proxy.max_request_body
            https = self.https
            if urlparse(self.bind_url).scheme == "https" and not (
                https.domain or https.cert or self.ssl_cert
            ):
                print(
                    f"labfleet: hub.bind_url {self.bind_url} is https, with no certificate: "
                    "set https.domain (a certificate from Let's Encrypt), or https.cert and "
                    "https.key (your own)",
                    file=sys.stderr,
                )
                self.exit(1)
        problem = foreign_listener("public", self.bind_url)
        if problem:
            print(f"labfleet: {problem}", file=sys.stderr)
            self.exit(1)

    @validate("db_url")
    def _validate_db_url(self, proposal: Any) -> str:
        url = migrate.with_driver(proposal.value)
        try:
            make_url(url) if "://" in url else None  # else a file: JupyterHub's SQLite
        except ArgumentError:
            raise TraitError(
                f"{proposal.value!r} is not a database URL such as sqlite:///path/to/file "
                "or postgresql://USER:PASSWORD@HOST:PORT/NAME"
            ) from None
        return url

    def init_db(self) -> None:
        problem = migrate.missing_driver(self.db_url)
        if problem:
            print(f"labfleet: {problem}", file=sys.stderr)
            self.exit(1)
        super().init_db()
        migrate.upgrade(self.db.get_bind())

    async def init_role_creation(self) -> None:
        # labfleet's scopes, what users hold for themselves, and the culler's role
        self.custom_scopes = {
            **scopes.CUSTOM_SCOPES,
            **scopes.PLATFORM_SCOPES,
            **self.custom_scopes,
        }
        self.extra_user_scopes = [*scopes.USER_SCOPES, *self.extra_user_scopes]
        if self.culling.enabled:
            self.services = [*self.services, self.culler_service()]
            self.load_roles = [*self.load_roles, CULLER_ROLE]
        self.load_roles = [*self.load_roles, *self.workshop_roles()]
        await super().init_role_creation()

    def workshop_roles(self) -> list[dict]:
        """Servers' tokens record their user's save events; instructors follow the workshop
        and get the pages workshop.instructor_pages names.

        The server role is JupyterHub's own with the events added, unless the hub's
        configuration defines one itself.
        """
        roles = []
        workshop = self.workshop
        if workshop.enabled or workshop.instructor_pages:
            roles.append(
                scopes.instructor_role(
                    workshop.instructors_group, workshop.enabled, workshop.instructor_pages
                )
            )
        if not any(role.get("name") == "server" for role in self.load_roles):
            roles.append(scopes.server_role())
        return roles

    def culler_service(self) -> dict:
        culling = self.culling
        return {
            "name": CULLER,
            "command": [
                sys.executable, "-m", "labfleet.culler", f"--every={culling.every}",
                f"--timeout={culling.idle_timeout}", f"--max-age={culling.max_age}",
                f"--hub-pid={os.getpid()}",
            ],
        }  # fmt: skip

    async def init_groups(self) -> None:
        """Groups of labfleet.yaml's ``groups`` section become JupyterHub's load_groups."""
        try:
            self.load_groups = with_configured_groups(
                self.groups, self.group_rules, self.load_groups
            )
        except ValueError as e:
            print(f"labfleet: key 'groups.properties': {e}", file=sys.stderr)
            self.exit(1)
        await super().init_groups()
        groups = self.db.query(orm.Group).order_by(orm.Group.name)
        unapplied = self.runtime.unapplied_properties()
        for warning in group_warnings(self.groups, self.group_rules, unapplied, groups):
            self.log.warning(warning)

    @cached_property
    def group_rules(self) -> Rules:
        """What groups may hold on this hub's backend (once init_backend has set it up)."""
        return self.groups.rules(self.runtime.group_facts())

    async def init_users(self) -> None:
        await super().init_users()
        if not self.db.query(orm.User).filter_by(admin=True).first():
            self.create_first_admin()

    first_admin: tuple[str, str] | None = None  # (name, password) until the start shows it

    def create_first_admin(self) -> None:
        """Create the admin with a generated password, shown once at the end of the start."""
        name = self.authenticator.normalize_username(self.admin_user)
        password = passwords.generate()
        self.authenticator.set_password(name, password)
        user = orm.User.find(self.db, name) or orm.User(name=name)
        user.admin = True
        self.db.add(user)
        self.db.commit()
        audit.record(self.db, actor="labfleet", action="user.create", target=name, admin=True)
        self.log.info("Created the first admin %s; its password is printed once", name)
        self.first_admin = (name, password)

    def print_ready(self) -> None:
        """The last words of the start, where an operator looks: the hub's address and, at
        the first start, the admin's password (to the terminal only, never to the log)."""
        lines = [f"labfleet is ready at {self.proxy.public_url}"]
        if self.first_admin:
            name, password = self.first_admin
            lines += [
                "First start: an admin account was created.",
                f"  username: {name}",
                f"  password: {password}",
                "Keep it now: it is not shown again "
                f"(a lost one: labfleet users reset-password {name}).",
            ]
            self.first_admin = None
        print(framed(lines) if len(lines) > 1 else lines[0], flush=True)

    def init_branding(self) -> Path | None:
        """Check the branding; write JupyterLab's branding folder (None: nothing to brand)."""
        for warning in problems(self.branding):
            self.log.warning(warning)
        return write_lab_folder(self.branding, self.data_path / "branding")

    def init_gpus(self) -> GpuStatus:
        """Detect the GPUs, once for the hub's whole run."""
        docker_engine = self.runtime.engine_url if self.backend == "docker" else None
        status = detect(self.gpu, docker_engine)
        self.log.info("GPUs: %s", status.detail)
        for warning in status.warnings:
            self.log.warning(warning)
        return status

    def init_broadcaster(self) -> Broadcaster:
        """Broadcasts to users' servers, with the secret their keys derive from: the cookie
        secret's (a hub made before kept a file of its own, ``hub/notify_secret``)."""
        secret_file = self.hub_dir / "notify_secret"
        secret = (
            secret_file.read_bytes()
            if secret_file.exists()
            else tickets.hub_secret(self.cookie_secret)
        )
        route = ProxyRoute.of(self.bind_url)
        # the control panel, where a user extends a session: absolute when the hub has an
        # address of its own, else on the origin of the JupyterLab that shows the link
        public = self.public_url or self.base_url
        broadcaster = Broadcaster(
            db=self.db,
            users=lambda: self.users,
            config=self.notifications,
            culling_config=self.culling,
            secret=secret,
            route=route,
            panel_url=f"{public}hub/home",
            log=self.log,
        )
        self.proxy.route_listeners.append(broadcaster.server_routed)
        return broadcaster

    def keep_workshop_mode(self, enabled: bool) -> None:
        """Write ``workshop.enabled`` into labfleet.yaml, as `labfleet config set` does (a
        restarted hub keeps what was turned on or off while it ran); ValueError saying why
        it cannot."""
        value = "true" if enabled else "false"
        try:
            configfile.set_value(
                Path(self.config_file), "workshop.enabled", value, self.section_table()
            )
        except (OSError, settings.ConfigError) as e:
            raise ValueError(
                f"{self.config_file} cannot keep workshop.enabled ({e}): set it there, and "
                "restart the hub"
            ) from None

    def settings_source(self) -> SettingsSource:
        """What the settings page reports: the sections and the objects they configure."""
        objects = {
            s.name: self if s.attribute == "" else getattr(self, s.attribute)
            for s in self.sections
            if s.attribute is not None and s.in_use
        }
        return SettingsSource(
            config_file=str(Path(self.config_file).resolve()),
            backend=self.backend,
            config=self.file_config,
            sections=self.sections,
            objects=objects,
        )

    def init_tornado_settings(self) -> None:
        gpu = self.init_gpus()
        broadcaster = self.init_broadcaster()
        handout = Handout(db=self.db, broadcaster=broadcaster, config=self.workshop, log=self.log)
        self.proxy.route_listeners.append(handout.server_routed)
        context = self.tornado_settings["labfleet"] = LabFleetContext(
            data_dir=self.data_path,
            backend=self.runtime,
            db=self.db,
            culling=self.culling,
            accounts=self.accounts,
            groups=self.groups,
            group_rules=self.group_rules,
            not_applied=not_applied(self.runtime.unapplied_properties(), gpu),
            operations=Operations(self.operations_per_minute),
            branding=self.branding,
            lab_folder=self.init_branding(),
            gpu=gpu,
            settings=self.settings_source(),
            environments=self.environments,
            broadcaster=broadcaster,
            activity=ActivityMonitor(
                db=self.db,
                config=self.activity,
                backend=self.runtime,
                users=lambda: self.users,
                log=self.log,
            ),
            workshop=WorkshopTools(
                config=self.workshop, handout=handout, keep_enabled=self.keep_workshop_mode
            ),
            user_rows=USER_ROWS,
        )
        count_spawn_failures(self.backend)
        brand = hub_brand(self.branding, self.hub_prefix)
        self.template_vars = {
            "labfleet_branding": brand,
            "labfleet_nav": handlers.Navigation(context),
            **self.template_vars,
        }
        super().init_tornado_settings()
        # JupyterHub's request log also records its logins, users and servers in the audit log
        self.tornado_settings["log_function"] = audited(self.tornado_settings["log_function"])

    async def cleanup(self) -> None:
        request = self.hub_dir / STOP_SERVERS
        if request.exists():
            request.unlink()
            self.cleanup_servers = True
        await super().cleanup()
        if not self.cleanup_proxy and isinstance(self.proxy, CaddyProxy):
            kept = "the proxy keeps running" + (
                "" if self.cleanup_servers else " and so do the users' servers"
            )
            print(
                f"labfleet: the hub stopped; {kept}. Stop everything with: "
                f"labfleet stop --servers --config {self.config_file}",
                flush=True,
            )

    async def start(self) -> None:
        await super().start()
        # once the hub answers: what the backend runs beside it does not delay it
        self.runtime.start_helpers()
        self.tornado_settings["labfleet"].broadcaster.start()
        self.tornado_settings["labfleet"].activity.start()
        self.tornado_settings["labfleet"].workshop.start()
        self.start_temporary_cleanup()
        start_pruning(self.db, self.audit_log, self.log)
        self.print_ready()

    def start_temporary_cleanup(self) -> None:
        """Delete expired temporary users, when the authenticator makes them."""
        if not getattr(self.authenticator, "temporary_users", False):
            return
        provisioner = Provisioner(
            db=self.db,
            authenticator=self.authenticator,
            users=self.users,
            backend=self.runtime,
            credentials=self.accounts.credentials,
            rows=USER_ROWS,
            actor="labfleet",
        )
        temporary.start_cleanup(
            provisioner,
            self.authenticator.temporary_user_seconds,
            temporary.stop_with(self.proxy),
        )

    def init_handlers(self) -> None:
        super().init_handlers()
        labfleet_handlers = [
            *apihandlers.default_handlers,
            *apihandlers.hub_overrides,
            *handlers.default_handlers,
            (r"/labfleet/static/(.*)", web.StaticFileHandler, {"path": str(PACKAGE / "static")}),
        ]
        # ahead of the hub's catch-all routes
        self.handlers[:0] = self.add_url_prefix(self.hub_prefix, labfleet_handlers)

"""The `labfleet` command."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from . import __version__, configfile, running, settings
from .auth import users_cli
from .k8s import cli as k8s_cli
from .notify import broadcast_cli
from .workshop import init_cli as workshop_cli

STOP_TIMEOUT = 60  # seconds a hub has to stop (its servers too, with --servers)


def cmd_up(args: argparse.Namespace) -> int:
    from .app import LabFleet

    # started from a script or in the background, SIGINT arrives ignored, and so would
    # it be by the proxy, the services and the servers: the hub stops them with SIGINT
    signal.signal(signal.SIGINT, signal.default_int_handler)

    if args.config_given and not Path(args.config).exists():
        print(f"labfleet: {args.config} does not exist (given with --config or "
              "$LABFLEET_CONFIG): give an existing labfleet.yaml, or none for all "
              "defaults", file=sys.stderr)  # fmt: skip
        return 2
    argv = [f"--LabFleet.config_file={args.config}"]
    if args.data_dir:
        argv.append(f"--LabFleet.data_dir={Path(args.data_dir).absolute()}")
    if args.debug:
        argv.append("--debug")
    if args.stop_servers:
        argv.append("--LabFleet.cleanup_servers=True")
    if args.new:
        argv.append("--LabFleet.another_hub=True")
    if args.registry:
        argv.append(f"--LabFleet.registry={args.registry}")
    argv += [f"--LabFleet.jupyterhub_config_files={path}" for path in args.jupyterhub_config]
    LabFleet.launch_instance(argv)
    return 0


def cmd_stop(args: argparse.Namespace) -> int:
    """0: stopped (or nothing ran); 1: the servers could not be stopped."""
    from .app import STOP_SERVERS, LabFleet
    from .proxy import process

    app = LabFleet.from_file(Path(args.config), args.data_dir)
    pid = running.running_hub(app.hub_dir)
    if args.servers and pid is None:
        print("labfleet: the hub is not running, and only the hub stops servers: start it "
              "(labfleet up), then labfleet stop --servers", file=sys.stderr)  # fmt: skip
        return 1
    if pid:
        if args.servers:
            (app.hub_dir / STOP_SERVERS).touch(mode=0o600)
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        while running.running_hub(app.hub_dir) and time.monotonic() < deadline:
            time.sleep(0.1)
        if running.running_hub(app.hub_dir):
            print(f"labfleet: the hub (pid {pid}) did not stop within {STOP_TIMEOUT}s",
                  file=sys.stderr)  # fmt: skip
            return 1
    proxy = process.stop(process.CaddyFiles(app.data_path / "proxy"))
    stopped = [what for what, ran in (("the hub", pid), ("the proxy", proxy)) if ran]
    servers = " and every server" if args.servers else ""
    print(f"Stopped {' and '.join(stopped)}{servers}." if stopped else "Nothing was running.")
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from .app import LabFleet
    from .doctor import addresses, diagnose

    app = LabFleet.from_file(Path(args.config), args.data_dir)
    print(f"Configuration {args.config}; data directory {app.data_path}")
    problems = diagnose(app)
    if app.https.domain:
        found = ", ".join(addresses(app.https.domain)) or "nothing"
        print(f"https.domain {app.https.domain} resolves to {found}; HTTPS on port "
              f"{app.https.port}, ACME's plain HTTP on port {app.https.http_port}")  # fmt: skip
    pid = running.running_hub(app.hub_dir)
    if pid:
        print(f"labfleet is running here (pid {pid}): its ports are its own.")
    for warning in app.runtime.startup_warnings():
        print(f"warning: {warning}")
    for problem in problems:
        print(f"problem: {problem.what}\n    fix: {problem.fix}")
    if problems:
        print(f"{len(problems)} problem(s) found.")
        return 1
    print(f"All checks passed for the {app.backend} backend (data directory {app.data_path}).")
    return 0


def cmd_config(args: argparse.Namespace) -> int:
    from .app import LabFleet

    path = Path(args.config)
    table = LabFleet.section_table()
    if args.action == "show":
        print(path.read_text() if path.exists() else f"# {path} does not exist: all defaults")
    elif args.action == "validate":
        settings.validate(configfile.read(path), path, table)
        print(f"{path}: valid")
    elif args.action == "set":
        value = configfile.set_value(path, args.key, args.value, table)
        print(f"{path}: {args.key} = {value!r}")
        print(configfile.what_it_needs(args.key))
    elif args.action == "unset":
        configfile.unset_value(path, args.key, table)
        print(f"{path}: {args.key} unset")
        print(configfile.what_it_needs(args.key))
    elif args.action == "keys":
        backend = settings.backend_of(configfile.read(path), table)
        for key, help_text in configfile.keys(table.sections(backend)):
            print(f"{key:45} {help_text}")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from .app import LabFleet
    from .backup import BackupError, backup

    app = LabFleet.from_file(Path(args.config), args.data_dir)
    print(f"Configuration {args.config}; data directory {app.data_path}")
    try:
        written = backup(app.data_path, app.db_url, Path(args.config), Path(args.destination))
    except BackupError as e:
        print(f"labfleet: {e}", file=sys.stderr)
        return 1
    print(f"Backed up into {Path(args.destination).absolute()}: {', '.join(written)}")
    print("Not included: the users' volumes. See RESTORE.txt there.")
    return 0


def cmd_db(args: argparse.Namespace) -> int:
    """0: copied and verified; 2: nothing copied."""
    from . import running
    from .app import LabFleet
    from .db.migrate import missing_driver, with_driver
    from .db.move import MoveError, copy

    app = LabFleet.from_file(Path(args.config), args.data_dir)
    source = Path(args.source) if args.source else app.hub_dir / "labfleet.sqlite"
    target = with_driver(args.to or app.db_url)
    problems = [
        f"no SQLite database at {source}" if not source.is_file() else None,
        "give the PostgreSQL database: --to postgresql://USER:PASSWORD@HOST:PORT/NAME"
        if not target.startswith("postgresql") else None,
        missing_driver(target),
    ]  # fmt: skip
    try:
        lock = running.acquire(app.hub_dir) if app.hub_dir.exists() else None
    except running.AlreadyRunning as e:
        problems.append(f"{e}: stop the hub first")
    if any(problems):
        print("\n".join(f"labfleet: {p}" for p in problems if p), file=sys.stderr)
        return 2
    try:
        copied = copy(f"sqlite:///{source}", target)
    except MoveError as e:
        print(f"labfleet: {e}; nothing was changed", file=sys.stderr)
        return 2
    finally:
        if lock is not None:
            os.close(lock)
    width = max(len(name) for name, _ in copied)
    print("\n".join(f"{name:{width}}  {count}" for name, count in copied))
    print(f"Copied {sum(c for _, c in copied)} rows of {len(copied)} tables; verified: each "
          "table has the same number of rows in both.")  # fmt: skip
    print("Now point the hub at it: labfleet config set hub.db_url '<the URL>' (chmod 600 "
          "labfleet.yaml: it holds the password), then labfleet up.")  # fmt: skip
    return 0


def cmd_env(args: argparse.Namespace) -> int:
    """pip's exit code; 2 when the backend has no users' environment."""
    from .app import LabFleet
    from .backends import users_env

    app = LabFleet.from_file(Path(args.config), args.data_dir)
    if app.backend != "local":
        print(
            f"labfleet: the {app.backend} backend's servers run images: add packages to the "
            "image (docker.image, or an image of environments.choices)",
            file=sys.stderr,
        )
        return 2
    folder = app.runtime.users_env_dir
    app.runtime.users_python  # noqa: B018 (made if missing)
    if args.action == "install":
        command = users_env.install_command(folder, args.packages)
    else:
        command = users_env.list_command(folder)
    print(f"The users' environment: {folder}", flush=True)
    return subprocess.call(command)


def cmd_images(args: argparse.Namespace) -> int:
    """0: every image pulled; 1: some could not be; 2: not the docker backend."""
    import docker

    from .app import LabFleet

    app = LabFleet.from_file(Path(args.config), args.data_dir)
    if app.backend != "docker":
        print(f"labfleet: the {app.backend} backend runs no images", file=sys.stderr)
        return 2
    app.runtime.environment_images = tuple(p.image for p in app.environments.profiles if p.image)
    tty = sys.stdout.isatty()

    def show(line: str) -> None:
        if tty:
            print(f"\r{line[:200]:200}", end="", flush=True)

    try:
        failed = {i: why for i, why in app.runtime.pull_images(show).items() if why}
    except docker.errors.DockerException as e:
        print(f"labfleet: the Docker engine is not reachable: {e}", file=sys.stderr)
        return 2
    if tty:
        print()
    for image in app.runtime.listed_images:
        if image in failed:
            kept = "" if app.runtime.has_image(image) else " (and it is not on this engine)"
            print(f"{image}: not pulled: {failed[image]}{kept}")
        else:
            print(f"{image}: pulled")
    return 1 if failed else 0


def cmd_service(args: argparse.Namespace) -> int:
    from . import service
    from .app import LabFleet
    from .proxy import process
    from .proxy.caddy import CaddyProxy
    from .proxy.config import make_config

    app = LabFleet.from_file(Path(args.config), args.data_dir)
    if app.backend == "kubernetes":
        print("labfleet: the kubernetes backend runs in the cluster (labfleet k8s values)",
              file=sys.stderr)  # fmt: skip
        return 2
    proxy = CaddyProxy(parent=app, app=app, public_url=app.bind_url)
    files = process.CaddyFiles(app.data_path / "proxy")
    spec = service.Service(
        name=args.name, config=Path(args.config), caddy=tuple(proxy.command), proxy_files=files
    )
    if args.action == "install":
        for name, text in service.units(spec).items():
            print(f"# {service.UNITS / name}\n{text}")
        if args.print:
            return 0
    if not service.has_systemd():
        print(
            f"labfleet: this host does not run systemd ({service.SYSTEMD} is missing), so no "
            "service can be installed. Start the hub from your own init system, as root:\n"
            f"  {' '.join(service.hub_command(spec))}",
            file=sys.stderr,
        )
        return 1
    if args.action == "install":
        process.write_initial(files, make_config(proxy.site(), []))
        service.install(spec)
        print(f"Installed and started {args.name}.service and {args.name}-proxy.service.")
    else:
        service.uninstall(spec)
        print(f"Removed {args.name}.service and {args.name}-proxy.service (data kept).")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="labfleet", description="A multi-user Jupyter platform.")
    p.add_argument("--version", action="version", version=f"labfleet {__version__}")
    sub = p.add_subparsers(dest="command", required=True)

    def with_config(sp: argparse.ArgumentParser) -> argparse.ArgumentParser:
        sp.add_argument(
            "--config", "-f",
            help=f"the labfleet.yaml to use (default: $LABFLEET_CONFIG, else "
            f"./{settings.DEFAULT_FILE} if it exists, else {settings.SYSTEM_FILE} if it exists, "
            f"else ./{settings.DEFAULT_FILE})",
        )  # fmt: skip
        sp.add_argument(
            "--data-dir", help="the data directory (default: labfleet.data_dir of labfleet.yaml, "
            "relative to its folder)",
        )  # fmt: skip
        return sp

    up = with_config(sub.add_parser("up", help="start the hub"))
    up.add_argument("--debug", action="store_true", help="log at debug level")
    up.add_argument(
        "--stop-servers", action="store_true",
        help="stop every server when the hub stops (default: they keep running and the "
        "next start adopts them)",
    )  # fmt: skip
    up.add_argument(
        "--new", action="store_true",
        help="start a new hub here although this machine has one elsewhere",
    )  # fmt: skip
    up.add_argument(
        "--jupyterhub-config", action="append", default=[], metavar="FILE",
        help="a JupyterHub configuration file (Python) loaded before labfleet.yaml, e.g. the "
        "Zero to JupyterHub chart's (repeatable)",
    )  # fmt: skip
    up.set_defaults(func=cmd_up)

    stop = with_config(sub.add_parser("stop", help="stop the hub and the proxy"))
    stop.add_argument("--servers", action="store_true", help="stop every user's server too (first)")
    stop.set_defaults(func=cmd_stop)

    doctor = with_config(sub.add_parser("doctor", help="check the environment"))
    doctor.set_defaults(func=cmd_doctor)

    config = with_config(sub.add_parser("config", help="show, edit and check labfleet.yaml"))
    actions = config.add_subparsers(dest="action", required=True)
    actions.add_parser("show", help="print the file")
    actions.add_parser("validate", help="check the file against the schema")
    actions.add_parser("keys", help="list every key with its help")
    setp = actions.add_parser("set", help="set SECTION.NAME to a YAML value")
    setp.add_argument("key")
    setp.add_argument("value")
    unsetp = actions.add_parser("unset", help="remove SECTION.NAME")
    unsetp.add_argument("key")
    config.set_defaults(func=cmd_config)

    backup = with_config(
        sub.add_parser("backup", help="copy the database and secrets, also while the hub runs")
    )
    backup.add_argument("destination", help="a new (or empty) folder to write the backup into")
    backup.set_defaults(func=cmd_backup)

    env = sub.add_parser("env", help="the users' Python environment (local backend)")
    env_actions = env.add_subparsers(dest="action", required=True)
    install = with_config(
        env_actions.add_parser("install", help="pip install packages for every user's server")
    )
    install.add_argument("packages", nargs="+", help="what pip installs, e.g. pandas==2.2")
    with_config(env_actions.add_parser("list", help="the packages added for the users"))
    env.set_defaults(func=cmd_env)

    pictures = sub.add_parser("images", help="the docker backend's images")
    image_actions = pictures.add_subparsers(dest="action", required=True)
    with_config(
        image_actions.add_parser("pull", help="pull every image labfleet.yaml lists, with progress")
    )
    pictures.set_defaults(func=cmd_images)

    db = sub.add_parser("db", help="the hub's database")
    db_actions = db.add_subparsers(dest="action", required=True)
    move = with_config(
        db_actions.add_parser(
            "migrate-from-sqlite", help="copy the hub's SQLite database into PostgreSQL"
        )
    )
    move.add_argument("--to", help="the PostgreSQL URL (default: hub.db_url of labfleet.yaml)")
    move.add_argument(
        "--from", dest="source",
        help="the SQLite file (default: hub/labfleet.sqlite in the data directory)",
    )  # fmt: skip
    db.set_defaults(func=cmd_db)

    svc = with_config(sub.add_parser("service", help="run the hub as systemd services"))
    svc.add_argument("action", choices=["install", "uninstall"])
    svc.add_argument("--name", default="labfleet", help="the hub's unit (default: labfleet)")
    svc.add_argument("--print", action="store_true", help="print the units, install nothing")
    svc.set_defaults(func=cmd_service)

    users_cli.add_parser(sub, with_config)
    broadcast_cli.add_parser(sub, with_config)
    k8s_cli.add_parser(sub, with_config)
    workshop_cli.add_parser(sub, with_config)
    for command in subcommands(p):
        config_at_every_level(command, with_config)
    return p


def subcommands(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """The parsers of ``parser``'s subcommands (each once, aliases or not)."""
    found = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return list(dict.fromkeys(p for action in found for p in action.choices.values()))


def takes_config(parser: argparse.ArgumentParser) -> bool:
    return any(action.dest == "config" for action in parser._actions)


def config_at_every_level(command: argparse.ArgumentParser, with_config: Callable) -> None:
    """Let --config and --data-dir come before or after a subcommand of ``command``
    (``labfleet config validate --config F`` as ``labfleet config --config F validate``):
    every level of a command that takes them takes them. A subcommand's have no default,
    so that they never hide a value given before the subcommand."""
    children = subcommands(command)
    for child in children:
        config_at_every_level(child, with_config)
    if not children or not (takes_config(command) or any(map(takes_config, children))):
        return
    if not takes_config(command):
        with_config(command)
    for child in children:
        if not takes_config(child):
            with_config(child)
        for action in child._actions:
            if action.dest in ("config", "data_dir"):
                action.default = argparse.SUPPRESS


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    # the command's environment is read here, and only here
    args.registry = os.environ.get("LABFLEET_REGISTRY")
    if hasattr(args, "config"):
        given = args.config or os.environ.get("LABFLEET_CONFIG")
        config, args.config_given = settings.find_config(given)
        args.config = str(config)
    try:
        return args.func(args)
    except settings.ConfigError as e:
        print(f"labfleet: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

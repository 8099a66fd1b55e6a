"""``labfleet k8s values`` and ``labfleet k8s dockerfiles``: what the Zero to JupyterHub chart
needs to run a labfleet hub, made from labfleet.yaml."""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import yaml

from .. import __version__, configfile, settings
from . import dockerfiles, values


def add_parser(sub: argparse._SubParsersAction, with_config: Callable) -> None:
    k8s = sub.add_parser("k8s", help="run the hub on Kubernetes (Zero to JupyterHub chart)")
    actions = k8s.add_subparsers(dest="action", required=True)
    made = with_config(
        actions.add_parser("values", help="print the chart's values.yaml for this labfleet.yaml")
    )
    made.add_argument("--output", "-o", type=Path, help="write to FILE (mode 600), not stdout")
    made.set_defaults(func=cmd_values)
    images = with_config(
        actions.add_parser("dockerfiles", help="write the Dockerfiles of the hub and user images")
    )
    images.add_argument("directory", type=Path, help="folder to write hub/ and user/ into")
    images.add_argument(
        "--package", default=f"labfleet=={__version__}",
        help="what the images pip install: a requirement, or a wheel file (pip wheel --no-deps .) "
        f"copied next to each Dockerfile (default labfleet=={__version__})",
    )  # fmt: skip
    images.set_defaults(func=cmd_dockerfiles)


def hub_settings(args: argparse.Namespace) -> tuple[dict, dict, list[str], settings.SectionTable]:
    """The operator's labfleet.yaml, the one the hub pod loads (checked with the kubernetes
    backend's keys), the keys left out of it, and the table of sections."""
    from ..app import LabFleet

    path = Path(args.config)
    if args.config_given and not path.exists():
        raise settings.ConfigError(
            f"{path} does not exist (given with --config or $LABFLEET_CONFIG)"
        )
    table = LabFleet.section_table()
    data = configfile.read(path)
    hub, left_out = values.hub_file(data)
    settings.validate(hub, path, table)
    return data, hub, left_out, table


def cmd_values(args: argparse.Namespace) -> int:
    """0: printed or written; 2: labfleet.yaml or the values are refused (nothing written)."""
    from ..backends.kubernetes import KubernetesBackend
    from ..profiles import Environments

    data, hub, left_out, table = hub_settings(args)
    config = settings.to_config(hub, table)
    backend = KubernetesBackend(config=config)
    environments = Environments(config=config)  # checked by settings.validate
    spawner = config.get("LabKubeSpawner", {})
    db_url = (data.get("hub") or {}).get("db_url")
    made = values.make_values(
        hub_image=backend.hub_image,
        user_image=backend.image,
        hub_file_text=yaml.safe_dump(hub, sort_keys=False),
        db_url=db_url if db_url and db_url.startswith("postgres") else None,
        home_mount=backend.home_mount,
        profile_list=values.make_profile_list(
            environments.profiles, image=backend.image, node_selectors=backend.node_selectors
        ),
        prepull=[p.image for p in environments.profiles if p.image],
        base_url=(data.get("hub") or {}).get("base_url"),
        storage_capacity=spawner.get("storage_capacity"),
        storage_class=spawner.get("storage_class"),
    )
    refused = values.problems(made, values.chart_defaults(), values.chart_schema())
    if refused:
        raise settings.ConfigError(
            "the chart's schema (values.schema.json) refuses the values made from "
            f"{args.config}:\n  - " + "\n  - ".join(refused)
        )
    header = [
        f"# values of the Zero to JupyterHub chart for the labfleet hub of {args.config}",
        "# (labfleet k8s values); it holds labfleet.yaml, secrets included: keep it private.",
        *(f"# note: {n}" for n in values.notes(left_out=left_out, db_url=db_url)),
    ]
    text = "\n".join(header) + "\n" + values.dump(made)
    if args.output is None:
        sys.stdout.write(text)
        return 0
    try:
        configfile.write_private(args.output, text)
    except OSError as e:
        print(f"labfleet: cannot write {args.output}: {e.strerror}", file=sys.stderr)
        return 2
    print(f"Wrote {args.output}; install with: helm upgrade --install labfleet jupyterhub/"
          f"jupyterhub --namespace labfleet --create-namespace --values {args.output}")  # fmt: skip
    return 0


def cmd_dockerfiles(args: argparse.Namespace) -> int:
    """0: written; 2: nothing written (a Dockerfile there already, or no such wheel)."""
    from ..backends.kubernetes import KubernetesBackend

    _, hub, _, table = hub_settings(args)
    backend = KubernetesBackend(config=settings.to_config(hub, table))
    package = args.package
    wheel = Path(package) if package.endswith(".whl") else None
    if wheel is not None and not wheel.is_file():
        print(f"labfleet: no wheel {wheel}: make one with pip wheel --no-deps . -w dist",
              file=sys.stderr)  # fmt: skip
        return 2
    files = {
        "hub": dockerfiles.make_hub_dockerfile(package=wheel.name if wheel else package),
        "user": dockerfiles.make_user_dockerfile(package=wheel.name if wheel else package),
    }
    existing = [str(args.directory / n / "Dockerfile") for n in files
                if (args.directory / n / "Dockerfile").exists()]  # fmt: skip
    if existing:
        print(f"labfleet: {', '.join(existing)} exists already: remove it or choose another "
              "folder", file=sys.stderr)  # fmt: skip
        return 2
    images = {"hub": backend.hub_image, "user": backend.image}
    for name, text in files.items():
        folder = args.directory / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "Dockerfile").write_text(text)
        if wheel is not None:
            shutil.copy2(wheel, folder / wheel.name)
        print(f"Wrote {folder / 'Dockerfile'}; build: docker build -t {images[name]} {folder}")
    print(
        "Push both to a registry the cluster pulls from (kubernetes.hub_image, kubernetes.image)."
    )
    return 0

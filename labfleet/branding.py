"""Branding: the names, logos and icons of the hub's pages and of JupyterLab (``branding``).

Every image is a file path (relative to where ``labfleet up`` runs, like ``data_dir``)
or an http(s) URL. A file that is missing is a start-up warning naming the path, and the
default is used instead.

- The hub's logo file becomes JupyterHub's own ``logo_file`` (served at /hub/logo); its
  icon file is served at /hub/labfleet/branding/favicon. labfleet's ``page.html``, the
  base of every hub page, shows the name, logo and icon.
- JupyterLab reads its name and icons from a folder of Jupyter configuration that the hub
  writes at start (:func:`write_lab_folder`) and puts on the servers' ``JUPYTER_CONFIG_PATH``
  (:func:`lab_environment`): the name through JupyterLab's page config (``appName``: the
  browser tab's title), JupyterLab's news prompt off unless ``lab_news``, the icon by overriding the server's ``static/favicons/favicon.ico``,
  the logo through JupyterLab's custom CSS.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from traitlets import Bool, Unicode
from traitlets.config import Configurable

FAVICON_ROUTE = "labfleet/branding/favicon"
LAB_LOGO_CSS = """\
/* written by labfleet: the logo of labfleet.yaml's branding.lab_logo */
#jp-MainLogo svg {{ display: none; }}
#jp-MainLogo {{ background: url({url}) center / contain no-repeat; min-width: 28px; }}
"""
LAB_SERVER_CONFIG = """\
# written by labfleet at every hub start, from labfleet.yaml's branding section
import os

here = os.path.dirname(os.path.abspath(__file__))
"""
LAB_NEWS_CONFIG = """\
# no Jupyter news and no update checks: nothing reaches the internet, no prompt about it
c.LabApp.news_url = None
c.LabApp.check_for_updates_class = "jupyterlab.NeverCheckForUpdate"
"""
# JupyterLab's plugin that asks every new user whether they want Jupyter's news
LAB_NEWS_PLUGIN = "@jupyterlab/apputils-extension:announcements"
LAB_FAVICON_CONFIG = """\
# JupyterLab's tab icon: served in place of the server's static/favicons/favicon*.ico
c.ServerApp.extra_static_paths = [os.path.join(here, "static")]
"""
LAB_LOGO_CONFIG = """\
# JupyterLab's logo: custom/custom.css replaces it (a plain dict: JupyterHub reads it)
c.ServerApp.tornado_settings = {"static_custom_path": [os.path.join(here, "custom")]}
c.LabApp.custom_css = True
"""


class Branding(Configurable):
    """Names, logos and icons (the ``branding`` section of labfleet.yaml)."""

    name = Unicode(
        "labfleet", help="Name of the platform: title of the hub's pages, beside the logo."
    ).tag(config=True)

    logo = Unicode(
        "", help="Logo in the hub's navigation bar: a file or an http(s) URL ('': JupyterHub's)."
    ).tag(config=True)

    favicon = Unicode(
        "", help="Icon of the hub's pages in the browser tab: a file or an http(s) URL."
    ).tag(config=True)

    lab_news = Bool(
        False,
        help="Whether JupyterLab asks each user about Jupyter's news and checks for updates "
        "(both reach the internet; off, a class does not see the prompt).",
    ).tag(config=True)

    lab_name = Unicode("", help="Name JupyterLab shows in the browser tab ('': JupyterLab).").tag(
        config=True
    )

    lab_logo = Unicode(
        "", help="Logo at the top left of JupyterLab: a file or an http(s) URL ('': Jupyter's)."
    ).tag(config=True)

    lab_favicon = Unicode(
        "",
        help="Icon of JupyterLab in the browser tab: a file only, since each server serves "
        "its own icon ('': Jupyter's).",
    ).tag(config=True)


IMAGES = ("logo", "favicon", "lab_logo", "lab_favicon")


def is_url(value: str) -> bool:
    return value.startswith(("http://", "https://"))


def image_file(value: str) -> Path | None:
    """The existing file ``value`` names; None for '', a URL or a missing file."""
    if not value or is_url(value):
        return None
    path = Path(value).resolve()
    return path if path.is_file() else None


def problems(branding: Branding) -> list[str]:
    """Start-up warnings: images whose file is missing, a URL where only a file works."""
    warnings = []
    for key in IMAGES:
        value = getattr(branding, key)
        if value and not is_url(value) and image_file(value) is None:
            warnings.append(
                f"branding.{key}: {Path(value).resolve()} does not exist or is not a file; "
                "the default is used"
            )
    if is_url(branding.lab_favicon):
        warnings.append(
            f"branding.lab_favicon: {branding.lab_favicon} is a URL, but JupyterLab's icon "
            "must be a file; the default is used"
        )
    return warnings


@dataclass(frozen=True)
class HubBrand:
    """What the hub's pages show (template variable ``labfleet_branding``)."""

    name: str
    logo_url: str | None  # None: JupyterHub's /hub/logo (its logo_file)
    favicon_url: str | None  # None: JupyterHub's icon


def hub_brand(branding: Branding, hub_prefix: str) -> HubBrand:
    """The name and image URLs of the hub's pages; ``hub_prefix`` is e.g. ``/hub/``."""
    favicon = branding.favicon
    if is_url(favicon):
        favicon_url = favicon
    elif image_file(favicon):
        favicon_url = hub_prefix + FAVICON_ROUTE
    else:
        favicon_url = None
    return HubBrand(branding.name, branding.logo if is_url(branding.logo) else None, favicon_url)


def write_lab_folder(branding: Branding, folder: Path) -> Path | None:
    """Write JupyterLab's branding as Jupyter configuration in ``folder`` (replaced).

    Returns the folder, or None (and no folder) when JupyterLab keeps its own look.
    Everything is readable by the accounts that run the servers.
    """
    shutil.rmtree(folder, ignore_errors=True)
    favicon = image_file(branding.lab_favicon)
    logo_file = image_file(branding.lab_logo)
    logo_url = branding.lab_logo if is_url(branding.lab_logo) else None
    if not (branding.lab_name or favicon or logo_file or logo_url or not branding.lab_news):
        return None
    config = LAB_SERVER_CONFIG
    page_config: dict[str, object] = {}
    if branding.lab_name:
        page_config["appName"] = branding.lab_name
    if not branding.lab_news:
        page_config["disabledExtensions"] = {LAB_NEWS_PLUGIN: True}
        config += LAB_NEWS_CONFIG
    if page_config:
        write(folder / "labconfig" / "page_config.json", json.dumps(page_config))
    if favicon:
        icons = folder / "static" / "favicons"
        for name in ("favicon.ico", "favicon-busy-1.ico"):
            copy(favicon, icons / name)
        config += LAB_FAVICON_CONFIG
    if logo_file or logo_url:
        if logo_file:
            logo_url = f"logo{logo_file.suffix}"
            copy(logo_file, folder / "custom" / logo_url)
        write(folder / "custom" / "custom.css", LAB_LOGO_CSS.format(url=json.dumps(logo_url)))
        config += LAB_LOGO_CONFIG
    write(folder / "jupyter_server_config.py", config)
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    return folder


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)


def lab_environment(folder: Path | str | None) -> dict[str, str]:
    """Environment of a server that reads JupyterLab's branding from ``folder`` (as it sees it)."""
    return {"JUPYTER_CONFIG_PATH": str(folder)} if folder else {}

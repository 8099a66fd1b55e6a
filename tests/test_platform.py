"""The platform pages: settings (generated from the traitlets, secrets masked), branding, and
who may read the settings and the audit log."""

from __future__ import annotations

import inspect
import json
import struct
import zlib

import pytest
import requests
from harness import create_account, running_hub, user_token

from labfleet.audit.pruning import AuditLog
from labfleet.backends.local import LocalBackend
from labfleet.branding import Branding, write_lab_folder
from labfleet.culling import Culling
from labfleet.gpu import Gpu
from labfleet.settings_report import MASK, jsonable, mask

SECRET_ENV = "env-secret-5f2b9c"
KEY_PATH = "/etc/ssl/private/lab.pem"
LOGO = b'<svg xmlns="http://www.w3.org/2000/svg" width="120" height="32"><text y="24">Physics</text></svg>'


def png(red: int, green: int, blue: int, size: int = 16) -> bytes:
    """A square PNG of one colour."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    rows = b"".join(b"\0" + bytes([red, green, blue]) * size for _ in range(size))
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


IMAGES = {
    "brand/logo.svg": LOGO,
    "brand/favicon.png": png(200, 30, 30),
    "brand/lab-logo.png": png(30, 200, 30),
    "brand/lab-favicon.png": png(30, 30, 200),
}
ROLES = [
    {"name": "admin", "services": ["labfleet-tests"]},
    {"name": "auditor", "scopes": ["custom:labfleet:audit"], "groups": ["auditors"]},
    {
        "name": "settings-reader",
        "scopes": ["custom:labfleet:settings"],
        "groups": ["settings-readers"],
    },
]
HUB_CONFIG = {
    "hub": {
        "load_roles": ROLES,
        "load_groups": {"auditors": {"users": []}, "settings-readers": {"users": []}},
    },
    "culling": {"idle_timeout": 1234},
    "branding": {
        "name": "Physics Lab",
        "logo": "brand/logo.svg",
        "favicon": "brand/favicon.png",
        "lab_name": "Physics JupyterLab",
        "lab_logo": "brand/lab-logo.png",
        "lab_favicon": "brand/lab-favicon.png",
    },
    "spawner": {"environment": {"MY_SECRET_TOKEN": SECRET_ENV, "PLAIN_SETTING": "visible-value"}},
    "https": {"email": "it@example.org", "key": KEY_PATH},
}


def HUB_FILES(root):
    """The image files that HUB_CONFIG names."""
    for path, content in IMAGES.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(content)
    return {}


@pytest.fixture(scope="module")
def report(hub) -> dict:
    response = hub.api("GET", "/labfleet/settings")
    assert response.status_code == 200, response.text
    return response.json()


def section(report: dict, name: str) -> dict:
    return next(s for s in report["sections"] if s["name"] == name)


def settings_of(report: dict, name: str) -> dict[str, dict]:
    return {s["key"]: s for s in section(report, name)["settings"]}


# -- the settings, generated from the traitlets --------------------------------------------


def test_every_section_of_the_running_backend_is_listed(report):
    names = [s["name"] for s in report["sections"]]
    for expected in ("labfleet", "hub", "auth", "proxy", "culling", "branding", "gpu", "audit",
                     "spawner", "local"):  # fmt: skip
        assert expected in names
    assert "docker" not in names and report["backend"] == "local"
    assert report["config_file"].endswith("labfleet.yaml")


@pytest.mark.parametrize(
    "name, cls",
    [
        ("culling", Culling),
        ("branding", Branding),
        ("gpu", Gpu),
        ("audit", AuditLog),
        ("local", LocalBackend),
    ],  # fmt: skip
)
def test_labfleets_own_sections_list_every_trait_with_its_help_and_default(report, name, cls):
    shown = settings_of(report, name)
    traits = cls.class_traits(config=True)
    assert sorted(shown) == sorted(traits)
    for key, trait in traits.items():
        assert shown[key]["help"] == inspect.cleandoc(trait.help) != ""
        if key != "isolate_users":  # a default computed at start
            assert shown[key]["default"] == jsonable(trait.default())
    assert section(report, name)["at_upstream_defaults"] == 0


def test_values_say_whether_labfleet_yaml_sets_them(report):
    culling = settings_of(report, "culling")
    assert (
        culling["idle_timeout"].items()
        >= {"value": 1234, "default": 3600, "configured": True}.items()
    )
    assert culling["every"]["configured"] is False and culling["every"]["value"] == 60
    branding = settings_of(report, "branding")
    assert branding["name"]["value"] == "Physics Lab" and branding["name"]["default"] == "labfleet"
    assert settings_of(report, "audit")["retention_days"]["accepts"] == "integer ≥ 0"
    assert settings_of(report, "gpu")["mode"]["accepts"] == "one of off, on, auto"


def test_jupyterhub_sections_show_what_labfleet_sets_and_count_the_rest(report):
    hub_settings = settings_of(report, "hub")
    # labfleet's defaults
    assert hub_settings["db_url"]["configured"] is False
    assert hub_settings["db_url"]["value"].endswith("/labfleet-data/hub/labfleet.sqlite")
    assert (
        hub_settings["authenticator_class"]["value"]
        == "labfleet.auth.authenticator.LabFleetAuthenticator"
    )
    assert hub_settings["logo_file"]["value"].endswith("/brand/logo.svg")
    # labfleet.yaml's; what `labfleet up` passes itself is not marked as set
    assert hub_settings["bind_url"]["configured"] is True
    assert "config_file" not in hub_settings  # `labfleet up --config` gives it
    # JupyterHub's untouched settings are counted, not listed
    assert "allow_named_servers" not in hub_settings
    assert section(report, "hub")["at_upstream_defaults"] > 50
    # the spawner is made per server: labfleet's defaults are computed there
    spawner = settings_of(report, "spawner")
    assert spawner["default_url"]["computed"] is True and spawner["environment"]["configured"]


def test_help_texts_read_as_text(report):
    """JupyterHub's help texts are written for Sphinx; the page shows no markup of it."""
    helps = {
        f"{part['name']}.{s['key']}": s["help"]
        for part in report["sections"]
        for s in part["settings"]
    }
    assert "`LabFleetAuthenticator`" not in helps["hub.authenticator_class"]  # not shortened
    for key, text in helps.items():
        for markup in (":class:", ":meth:", "``", ".. versionchanged::", ".. versionadded::"):
            assert markup not in text, (key, markup)
    paragraphs = settings_of(report, "hub")["authenticator_class"]["help_paragraphs"]
    assert {
        "parts": [["This should be a subclass of ", False], ["jupyterhub.auth.Authenticator", True]]
    } in paragraphs
    assert any("items" in p for p in paragraphs)  # "- is a coroutine ..." is a list


def test_secrets_are_masked_everywhere(hub, report):
    services = settings_of(report, "hub")["services"]["value"]
    assert services[0] == {"name": "labfleet-tests", "api_token": MASK}
    assert (
        settings_of(report, "https")["key"].items() >= {"value": MASK, "secret": True}.items()
    )
    environment = settings_of(report, "spawner")["environment"]["value"]
    assert environment == {"MY_SECRET_TOKEN": MASK, "PLAIN_SETTING": "visible-value"}
    # numbers and flags about passwords are no secrets
    assert settings_of(report, "auth")["check_common_password"]["value"] is True
    session, _ = hub.login("admin", hub.admin_password)
    page = session.get(f"{hub.url}/hub/labfleet/settings", timeout=30).text
    answer = hub.api("GET", "/labfleet/settings").text
    for secret in (SECRET_ENV, KEY_PATH, hub.token):
        assert secret not in answer and secret not in page
        assert not any(secret in line for line in hub.output)


def test_masking_rules():
    assert mask({"password": "x", "user": "u", "api_keys": ["k"]}) == {
        "password": MASK, "user": "u", "api_keys": MASK,
    }  # fmt: skip
    assert mask("postgresql://lab:hunter2@db:5432/hub") == f"postgresql://lab:{MASK}@db:5432/hub"
    assert mask("", secret=True) == "" and mask(8, secret=True) == 8
    assert mask({"cookie_secret_file": "/srv/secret"}) == {"cookie_secret_file": "/srv/secret"}


def test_the_settings_page_shows_the_same(hub, report):
    session, _ = hub.login("admin", hub.admin_password)
    page = session.get(f"{hub.url}/hub/labfleet/settings", timeout=30)
    assert page.status_code == 200
    for s in report["sections"]:
        assert f'id="section-{s["name"]}"' in page.text
    assert 'id="setting-culling-idle_timeout"' in page.text and "<code>1234</code>" in page.text
    assert "Seconds a server may stay idle before it is stopped." in page.text
    assert MASK in page.text and 'id="labfleet-gpu-state"' in page.text


# -- branding ------------------------------------------------------------------------------


def test_the_hub_pages_carry_the_name_logo_and_icon(hub):
    login = requests.get(f"{hub.url}/hub/login", timeout=30).text
    assert "<title>Physics Lab</title>" in login
    assert '<span class="ms-2 fw-semibold" id="labfleet-brand-name">Physics Lab</span>' in login
    assert '<link rel="icon" href="/hub/labfleet/branding/favicon">' in login
    assert 'src="/hub/logo"' in login
    logo = requests.get(f"{hub.url}/hub/logo", timeout=30)
    assert logo.content == LOGO and logo.headers["Content-Type"] == "image/svg+xml"
    favicon = requests.get(f"{hub.url}/hub/labfleet/branding/favicon", timeout=30)
    assert favicon.content == IMAGES["brand/favicon.png"]
    assert favicon.headers["Content-Type"] == "image/png"


def test_jupyterlab_gets_the_name_icon_and_logo(hub):
    hub.create_user("lena")
    hub.spawn("lena")
    try:

        def get(path: str) -> requests.Response:
            response = requests.get(
                f"{hub.url}/user/lena/{path}",
                headers={"Authorization": f"token {hub.token}"},
                timeout=60,
            )
            assert response.status_code == 200, (path, response.status_code)
            return response

        assert '"appName": "Physics JupyterLab"' in get("lab").text
        assert get("static/favicons/favicon.ico").content == IMAGES["brand/lab-favicon.png"]
        assert get("static/favicons/favicon-busy-1.ico").content == IMAGES["brand/lab-favicon.png"]
        assert 'url("logo.png")' in get("custom/custom.css").text
        assert get("custom/logo.png").content == IMAGES["brand/lab-logo.png"]
    finally:
        hub.stop_server("lena")


@pytest.fixture(scope="module")
def url_hub():
    """Images given as URLs, and files that are missing."""
    config = {
        "branding": {
            "logo": "https://example.org/brand/logo.svg",
            "favicon": "https://example.org/brand/favicon.ico",
            "lab_logo": "missing/lab-logo.png",
            "lab_favicon": "https://example.org/brand/lab.ico",
        }
    }
    with running_hub("platform-urls", config) as instance:
        yield instance


@pytest.mark.slow
def test_missing_files_are_start_up_warnings_naming_the_path(url_hub):
    path = url_hub.root / "missing" / "lab-logo.png"
    assert any(f"branding.lab_logo: {path} does not exist" in line for line in url_hub.start_output)
    assert any("branding.lab_favicon: https://example.org/brand/lab.ico is a URL" in line
               for line in url_hub.start_output)  # fmt: skip
    # nothing of JupyterLab is branded: servers keep Jupyter's look (without its news prompt)
    folder = url_hub.data_dir / "branding"
    assert sorted(p.name for p in folder.iterdir()) == ["jupyter_server_config.py", "labconfig"]
    assert json.loads((folder / "labconfig" / "page_config.json").read_text()) == {
        "disabledExtensions": {"@jupyterlab/apputils-extension:announcements": True}
    }


@pytest.mark.slow
def test_urls_are_linked_as_they_are(url_hub):
    login = requests.get(f"{url_hub.url}/hub/login", timeout=30).text
    assert 'src="https://example.org/brand/logo.svg"' in login
    assert '<link rel="icon" href="https://example.org/brand/favicon.ico">' in login
    assert "<title>labfleet</title>" in login
    assert (
        requests.get(f"{url_hub.url}/hub/labfleet/branding/favicon", timeout=30).status_code == 404
    )
    # JupyterHub's own logo stays at /hub/logo
    assert requests.get(f"{url_hub.url}/hub/logo", timeout=30).content.startswith(b"\x89PNG")


def test_a_lab_logo_url_goes_into_the_custom_css(tmp_path):
    branding = Branding(lab_logo="https://example.org/l.svg", lab_news=True)
    folder = write_lab_folder(branding, tmp_path / "lab")
    css = (folder / "custom" / "custom.css").read_text()
    assert 'url("https://example.org/l.svg")' in css
    assert not (folder / "labconfig").exists() and not (folder / "static").exists()
    # with Jupyter's news and its own look, JupyterLab needs no folder at all
    assert write_lab_folder(Branding(lab_news=True), tmp_path / "plain") is None
    assert oct((folder / "custom" / "custom.css").stat().st_mode & 0o777) == "0o644"


# -- who may read the settings and the audit log ---------------------------------------------

# caller -> (settings, audit): the status when asking
EXPECTED = {
    "anonymous": (403, 403),
    "user": (403, 403),
    "narrow token": (403, 403),
    "auditor": (403, 200),
    "settings reader": (200, 403),
    "admin": (200, 200),
}
ACCOUNTS = {"user": ("pat", []), "auditor": ("audra", ["auditors"]),
            "settings reader": ("rhea", ["settings-readers"])}  # fmt: skip


@pytest.fixture(scope="module")
def callers(hub) -> dict[str, tuple[str | None, requests.Session]]:
    """caller -> (API token, logged-in browser session)."""
    result = {"anonymous": (None, requests.Session())}
    for caller, (name, groups) in ACCOUNTS.items():
        session, login = hub.login(name, create_account(hub, name, groups))
        assert login.status_code == 302, login.text
        result[caller] = (user_token(hub, name), session)
    admin, login = hub.login("admin", hub.admin_password)
    assert login.status_code == 302
    result["admin"] = (hub.token, admin)
    result["narrow token"] = (user_token(hub, "admin", scopes=["read:users:name"]), None)
    return result


@pytest.mark.parametrize("caller", EXPECTED)
@pytest.mark.parametrize("route", ["settings", "audit"])
def test_api_permission_matrix(hub, callers, caller, route):
    token = callers[caller][0]
    headers = {"Authorization": f"token {token}"} if token else {}
    response = requests.get(f"{hub.url}/hub/api/labfleet/{route}", headers=headers, timeout=30)
    expected = EXPECTED[caller][route == "audit"]
    assert response.status_code == expected, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    if expected >= 400:
        assert response.json()["status"] == expected and response.json()["message"]


@pytest.mark.parametrize("caller", [c for c in EXPECTED if c != "narrow token"])
@pytest.mark.parametrize("route", ["settings", "audit"])
def test_page_permission_matrix(hub, callers, caller, route):
    session = callers[caller][1]
    response = session.get(f"{hub.url}/hub/labfleet/{route}", timeout=30, allow_redirects=False)
    if caller == "anonymous":
        # a page sends the browser to the login form
        assert response.status_code == 302 and "/hub/login" in response.headers["Location"]
        return
    assert response.status_code == EXPECTED[caller][route == "audit"]
    assert response.headers["Content-Type"].startswith("text/html")


def test_admin_links_in_the_nav_bar_for_whoever_may_follow_them(hub, callers):
    def links(caller: str) -> set[str]:
        home = callers[caller][1].get(f"{hub.url}/hub/home", timeout=30).text
        return {
            p
            for p in ("users", "groups", "settings", "audit")
            if f'href="/hub/labfleet/{p}"' in home
        }

    assert links("admin") == {"users", "groups", "settings", "audit"}
    assert links("user") == set()
    assert links("auditor") == {"audit"} and links("settings reader") == {"settings"}

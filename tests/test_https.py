"""HTTPS by itself: Caddy gets the hub's certificate from a real ACME server (Debian's pebble,
Let's Encrypt's test server, started here), and with ``hub.subdomain_host`` one for each
user's host when it is first visited, never for a host the hub does not know.

The names below ``.labfleet.test`` are this machine, for this module's requests; pebble
validates no challenge (it could not reach them), everything else is the real exchange.
"""

from __future__ import annotations

import os
import socket
import ssl

import pytest
import requests
from harness import Hub, free_port, make_root, names_on_loopback
from pebble import running_pebble

DOMAIN = "hub.labfleet.test"


@pytest.fixture(scope="module", autouse=True)
def test_names():
    """Resolve *.labfleet.test to this machine for this module's requests."""
    with names_on_loopback(".labfleet.test"):
        yield


@pytest.fixture(scope="module")
def acme():
    root = make_root("pebble")
    with running_pebble(root) as pebble:
        yield pebble


@pytest.fixture(scope="module")
def roots(acme):
    """The roots of pebble's certificates, trusted by this module's requests."""
    path = acme.issuer_roots()
    before = os.environ.get("REQUESTS_CA_BUNDLE")
    os.environ["REQUESTS_CA_BUNDLE"] = str(path)
    yield path
    if before is None:
        os.environ.pop("REQUESTS_CA_BUNDLE")
    else:
        os.environ["REQUESTS_CA_BUNDLE"] = before


@pytest.fixture(scope="module")
def hub(acme, roots):
    instance = Hub(make_root("https"), name="https")
    instance.url = f"https://{DOMAIN}:{instance.port}"
    instance.http_port = free_port()
    instance.update_config(
        {
            "hub": {"bind_url": instance.url, "subdomain_host": instance.url},
            "https": {
                "domain": DOMAIN,
                "email": "admin@labfleet.test",
                "port": instance.port,
                "http_port": instance.http_port,
                "acme_directory": acme.directory,
                "acme_ca_root": str(acme.server_ca),
            },
        }
    )
    try:
        instance.start()
        yield instance
    finally:
        instance.cleanup()


def certificate(port: int, host: str, roots) -> dict:
    """The certificate served for ``host`` on ``port``, verified against ``roots``."""
    context = ssl.create_default_context(cafile=str(roots))
    with socket.create_connection(("127.0.0.1", port), timeout=30) as raw:
        with context.wrap_socket(raw, server_hostname=host) as tls:
            return tls.getpeercert()


def issuer(cert: dict) -> str:
    return dict(item[0] for item in cert["issuer"])["commonName"]


def test_the_hub_is_served_with_a_certificate_from_the_acme_server(hub, roots):
    cert = certificate(hub.port, DOMAIN, roots)
    assert ("DNS", DOMAIN) in cert["subjectAltName"]
    assert issuer(cert).startswith("Pebble Intermediate CA")
    page = requests.get(f"{hub.url}/hub/login", timeout=30)
    assert page.status_code == 200 and "password" in page.text


def test_the_hubs_cookies_cannot_be_planted_by_a_users_host(hub):
    """Cookie tossing: a user's host may set cookies for the parent domain, never ones named
    ``__Host-``, which the hub's login cookie now is (secure, host-only)."""
    session, login = hub.login("admin", hub.admin_password)
    assert login.status_code == 302
    (cookie,) = [c for c in session.cookies if c.name.endswith("jupyterhub-hub-login")]
    assert cookie.name == "__Host-jupyterhub-hub-login"
    assert cookie.secure and cookie.path == "/" and not cookie.domain_initial_dot


def test_a_users_host_gets_its_own_certificate_and_no_other_host_does(hub, roots):
    hub.create_user("alice")
    host = f"alice.{DOMAIN}"
    cert = certificate(hub.port, host, roots)
    assert cert["subjectAltName"] == (("DNS", host),)
    assert issuer(cert).startswith("Pebble Intermediate CA")
    # a host that is nobody's gets no certificate: the handshake fails at once
    with pytest.raises(ssl.SSLError):
        certificate(hub.port, f"mallory.{DOMAIN}", roots)
    asked = requests.get(
        f"{hub.url}/hub/api/labfleet/certificates/allowed", params={"domain": host}, timeout=30
    )
    assert asked.status_code == 200
    refused = requests.get(
        f"{hub.url}/hub/api/labfleet/certificates/allowed",
        params={"domain": f"mallory.{DOMAIN}"},
        timeout=30,
    )
    assert refused.status_code == 404 and refused.json()["message"]


def test_plain_http_is_sent_to_https(hub):
    answer = requests.get(
        f"http://127.0.0.1:{hub.http_port}/hub/login?next=x",
        headers={"Host": DOMAIN},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 308
    assert answer.headers["Location"] == f"https://{DOMAIN}:{hub.port}/hub/login?next=x"

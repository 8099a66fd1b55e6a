"""HTTPS with the operator's certificate (hub.ssl_cert, hub.ssl_key), and a reverse proxy
in front whose X-Forwarded-For the hub trusts (proxy.trusted_proxies)."""

from __future__ import annotations

import os
import subprocess

import pytest
import requests
from harness import Hub, make_root


@pytest.fixture(scope="module")
def hub():
    root = make_root("tls")
    certificate, key = root / "cert.pem", root / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
         "-keyout", str(key), "-out", str(certificate)],
        check=True, capture_output=True,
    )  # fmt: skip
    instance = Hub(root, name="tls")
    instance.url = f"https://127.0.0.1:{instance.port}"
    instance.update_config(
        {
            "hub": {"bind_url": instance.url, "ssl_cert": str(certificate), "ssl_key": str(key)},
            "proxy": {"trusted_proxies": ["127.0.0.1"]},
            # the certificate is its own CA: broadcasts check the proxy's against it
            "notifications": {"ca_certs": str(certificate)},
        }
    )
    # this module's requests trust the hub's certificate, and only it
    os.environ["REQUESTS_CA_BUNDLE"] = str(certificate)
    try:
        instance.start()
        yield instance
    finally:
        instance.cleanup()
        del os.environ["REQUESTS_CA_BUNDLE"]


def test_the_hub_answers_over_https_with_its_certificate(hub):
    page = requests.get(f"{hub.url}/hub/login", timeout=30)
    assert page.status_code == 200 and "Sign in" in page.text
    _, login = hub.login("admin", hub.admin_password)
    assert login.status_code == 302
    # plain HTTP on the HTTPS port gets a clear refusal, and nothing of the hub
    plain = requests.get(f"http://127.0.0.1:{hub.port}/hub/login", timeout=10)
    assert plain.status_code == 400 and "HTTPS" in plain.text


def test_a_trusted_reverse_proxy_says_where_the_client_is(hub):
    hub.login("behind-nginx", "guess", headers={"X-Forwarded-For": "203.0.113.9"})
    events = hub.api("GET", "/labfleet/audit", params={"action": "login"}).json()["events"]
    (attempt,) = [e for e in events if e["target"] == "behind-nginx"]
    assert attempt["detail"]["ip"] == "203.0.113.9"


def test_a_broadcast_goes_over_https_and_checks_the_certificate(hub):
    hub.create_user("tess")
    hub.spawn("tess")
    sent = hub.api("POST", "/labfleet/notifications", json={"message": "Over HTTPS"})
    assert sent.status_code == 200, sent.text
    assert [(r["username"], r["delivered"]) for r in sent.json()["results"]] == [("tess", True)]

"""Caddy's configuration as labfleet builds it: pure builders tested as data, and each kind of
configuration checked by the real Caddy binary (``caddy validate``)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from labfleet.proxy.buffers import raise_default
from labfleet.proxy.config import Limits, Site, Tls, listen_addresses, make_config, routes_of
from labfleet.proxy.routes import (
    dial,
    make_route,
    route_info,
    socket_path,
    socket_url,
    sorted_routes,
)

CADDY = Path(sys.executable).parent / "caddy"
HUB = socket_url("/run/labfleet/abc/hub/hub.sock")


def site(**changes) -> Site:
    base = dict(
        listen=listen_addresses("127.0.0.1", 8000),
        admin_socket="/srv/data/proxy/admin.sock",
        storage="/srv/data/proxy/data",
        log_file="/srv/data/proxy/caddy.log",
        hub_target=HUB,
    )
    return Site(**{**base, **changes})


def test_a_socket_url_keeps_its_path_and_the_port_jupyterhub_adds_is_dropped():
    url = socket_url("/run/labfleet/Ab 1/server.sock")
    assert url == "http+unix://%2Frun%2Flabfleet%2FAb%201%2Fserver.sock"
    assert socket_path(url) == "/run/labfleet/Ab 1/server.sock"
    assert socket_path(url + ":80") == "/run/labfleet/Ab 1/server.sock"
    assert socket_path("http://127.0.0.1:8888") is None
    assert dial(url + ":80") == "unix//run/labfleet/Ab 1/server.sock"
    assert dial("http://127.0.0.1:8888") == "127.0.0.1:8888"
    assert dial("http://[::1]:8888") == "[::1]:8888"


def test_a_route_matches_its_unescaped_prefix_and_reads_back_as_jupyterhub_gave_it():
    route = make_route(
        "/user/a%3Db/", HUB, {"user": "a=b", "server_name": ""}, guards=[{"handler": "x"}]
    )
    assert route["match"] == [{"path": ["/user/a=b/*", "/user/a=b"]}]
    assert route["terminal"] is True
    handlers = [h["handler"] for h in route["handle"]]
    assert handlers == ["vars", "x", "reverse_proxy"]
    proxy = route["handle"][-1]
    assert proxy["upstreams"] == [{"dial": "unix//run/labfleet/abc/hub/hub.sock"}]
    # open websockets outlive a change of the routes (streams flush as they come by
    # themselves: event streams, bodies of unknown length)
    assert proxy["stream_close_delay"] and "flush_interval" not in proxy
    assert route_info(route) == {
        "routespec": "/user/a%3Db/",
        "target": HUB,
        "data": {"user": "a=b", "server_name": ""},
    }
    assert route_info({"handle": [{"handler": "static_response"}]}) is None


def test_routes_of_a_host_come_first_then_the_longest_and_the_default_last():
    specs = ["/", "/user/a/", "alice.hub.example/user/alice/", "/user/a/named/", "/services/x/"]
    ordered = [
        route_info(r)["routespec"] for r in sorted_routes([make_route(s, HUB, {}) for s in specs])
    ]
    assert ordered == [
        "alice.hub.example/user/alice/", "/user/a/named/", "/services/x/", "/user/a/", "/"
    ]  # fmt: skip
    host_route = make_route("alice.hub.example/user/alice/", HUB, {})
    assert host_route["match"] == [
        {"path": ["/user/alice/*", "/user/alice"], "host": ["alice.hub.example"]}
    ]
    assert "match" not in make_route("/", HUB, {})


def test_the_public_port_is_bound_for_both_address_families():
    assert listen_addresses("127.0.0.1", 8000) == ("127.0.0.1:8000", "[::1]:8000")
    assert listen_addresses("localhost", 8000) == ("127.0.0.1:8000", "[::1]:8000")
    assert listen_addresses("0.0.0.0", 80) == (":80",)
    assert listen_addresses("hub.example.org", 443) == (":443",)
    assert listen_addresses("10.1.2.3", 80) == ("10.1.2.3:80",)


def test_a_plain_configuration_has_limits_error_pages_and_no_tls():
    config = make_config(site(limits=Limits(max_body_bytes=1000)), [make_route("/", HUB, {})])
    server = config["apps"]["http"]["servers"]["labfleet"]
    assert server["listen"] == ["127.0.0.1:8000", "[::1]:8000"]
    assert server["automatic_https"] == {"disable": True}
    assert server["read_header_timeout"] == "10s" and server["idle_timeout"] == "300s"
    assert "tls" not in config["apps"]
    assert config["admin"]["listen"] == "unix//srv/data/proxy/admin.sock"
    errors = server["errors"]["routes"]
    # a user's server gone: the hub's error page as a 503, without its cookies; the hub
    # gone: back soon
    page = errors[0]["handle"][1]
    assert page["headers"] == {"response": {"delete": ["Set-Cookie"]}}
    (answer,) = page["handle_response"][0]["routes"]
    assert answer["handle"] == [{"handler": "copy_response", "status_code": 503}]
    assert errors[1]["handle"][0]["status_code"] == 503
    assert [route_info(r)["routespec"] for r in routes_of(config)] == ["/"]
    # first an overlong URI's clear 414, last the answer while the hub has no route yet
    first, *_, last = server["routes"]
    assert first["handle"][0]["status_code"] == 414
    assert last["handle"][0]["status_code"] == 503 and "match" not in last


def test_own_certificate_files_serve_https():
    config = make_config(site(tls=Tls(cert="/etc/c.pem", key="/etc/k.pem")), [])
    assert config["apps"]["tls"] == {
        "certificates": {"load_files": [{"certificate": "/etc/c.pem", "key": "/etc/k.pem"}]}
    }
    assert config["apps"]["http"]["servers"]["labfleet"]["tls_connection_policies"] == [{}]


def test_acme_gets_the_hubs_certificate_and_users_hosts_on_demand():
    tls = Tls(domain="hub.example.org", email="a@example.org", acme_directory="https://acme/dir",
              acme_ca_root="/ca.pem", on_demand=True, http_port=8080)  # fmt: skip
    config = make_config(
        site(listen=listen_addresses("hub.example.org", 8443), tls=tls,
             hub_origin="https://hub.example.org:8443"), [],
    )  # fmt: skip
    issuer = {"module": "acme", "email": "a@example.org", "ca": "https://acme/dir",
              "trusted_roots_pem_files": ["/ca.pem"]}  # fmt: skip
    assert config["apps"]["tls"] == {
        "certificates": {"automate": ["hub.example.org"]},
        "automation": {
            "policies": [
                {"subjects": ["hub.example.org"], "issuers": [issuer]},
                {"issuers": [issuer], "on_demand": True},
            ],
            "on_demand": {
                "permission": {
                    "module": "http",
                    "endpoint": "http://127.0.0.1:8080/hub/api/labfleet/certificates/allowed",
                }
            },
        },
    }
    http = config["apps"]["http"]
    assert http["http_port"] == 8080 and http["https_port"] == 8443
    plain = http["servers"]["plain"]
    assert plain["listen"] == [":8080"]
    # the certificate check is the hub's, asked from loopback only; the rest goes to HTTPS
    assert plain["routes"][0]["match"][0]["remote_ip"] == {"ranges": ["127.0.0.1/32", "::1/128"]}
    redirect = plain["routes"][1]["handle"][0]
    assert redirect["status_code"] == 308
    assert redirect["headers"]["Location"] == ["https://{http.request.host}:8443{http.request.uri}"]
    # the hub's pages only on the hub's host
    elsewhere = http["servers"]["labfleet"]["routes"][1]
    assert elsewhere["match"][0]["not"] == [{"host": ["hub.example.org"]}]
    assert elsewhere["handle"][0]["headers"]["Location"] == [
        "https://hub.example.org:8443{http.request.uri}"
    ]


@pytest.mark.parametrize(
    "tls", [None, Tls(cert="CERT", key="KEY"), Tls(domain="hub.example.org", on_demand=True)]
)
def test_caddy_accepts_each_configuration(tmp_path, tls):
    if tls is not None and tls.cert:
        # Caddy loads the files: a pair it can read
        from pebble import make_server_certificate

        _, cert, key = make_server_certificate(tmp_path)
        tls = Tls(cert=str(cert), key=str(key))
    routes = [make_route("/user/a%3Db/", HUB, {"user": "a=b"}), make_route("/", HUB, {})]
    config = make_config(
        site(storage=str(tmp_path / "data"), log_file=str(tmp_path / "caddy.log"),
             admin_socket=str(tmp_path / "admin.sock"), tls=tls,
             hub_origin="https://hub.example.org" if tls else ""), routes,
    )  # fmt: skip
    path = tmp_path / "caddy.json"
    path.write_text(json.dumps(config))
    checked = subprocess.run(
        [str(CADDY), "validate", "--config", str(path)], capture_output=True, text=True, timeout=60
    )
    assert checked.returncode == 0, checked.stderr[-2000:]


def test_the_hubs_cookies_can_be_made_host_only():
    route = make_route("/", HUB, {"hub": True}, host_only_cookies=True)
    (rule,) = route["handle"][-1]["headers"]["response"]["replace"]["Set-Cookie"]
    pattern = re.compile(rule["search_regexp"])
    cookie = "jupyterhub-session-id=abc; Domain=hub.example.org; HttpOnly; Path=/"
    assert pattern.sub(rule["replace"], cookie) == "jupyterhub-session-id=abc; HttpOnly; Path=/"
    assert "response" not in make_route("/", HUB, {"hub": True})["handle"][-1]["headers"]


def test_the_default_socket_send_buffer_is_raised_never_lowered(tmp_path):
    setting = tmp_path / "wmem_default"
    setting.write_text("212992\n")
    assert raise_default(1048576, setting) == 212992
    assert setting.read_text() == "1048576"
    assert raise_default(65536, setting) is None
    assert setting.read_text() == "1048576"

"""The ``https`` section: HTTPS by Caddy, with certificates from Let's Encrypt (or another ACME
server) or your own files."""

from __future__ import annotations

from traitlets import Integer, Unicode
from traitlets.config import Configurable

from ..traitlets import Url


class Https(Configurable):
    """How the public port serves HTTPS (local and docker backends)."""

    domain = Unicode(
        "",
        help="""The hub's domain name (its DNS must point at this machine). Set, Caddy gets
        a certificate for it from Let's Encrypt (or https.acme_directory), renews it, and
        serves HTTPS on https.port; the hub's address becomes https://DOMAIN. With
        hub.subdomain_host, every user's host gets a certificate of its own when first
        visited (only existing users' hosts are allowed): a wildcard DNS entry is needed,
        no wildcard certificate.""",
    ).tag(config=True)

    email = Unicode(
        "", help="The e-mail address the ACME server may write to about the certificates."
    ).tag(config=True)

    port = Integer(443, min=1, max=65535, help="The HTTPS port (with https.domain).").tag(
        config=True
    )

    http_port = Integer(
        80,
        min=1,
        max=65535,
        help="The plain HTTP port (with https.domain): ACME's challenges, and a redirect of "
        "everything else to HTTPS.",
    ).tag(config=True)

    acme_directory = Url(
        "",
        schemes=("http", "https"),
        example="https://acme-staging-v02.api.letsencrypt.org/directory",
        help="The ACME server's directory URL (default: Let's Encrypt's; its staging server, "
        "or your organisation's ACME server).",
    ).tag(config=True)

    acme_ca_root = Unicode(
        "",
        help="A PEM file of the CA that signs the ACME server's own HTTPS certificate, when "
        "the system does not trust it (a private ACME server).",
    ).tag(config=True)

    cert = Unicode(
        "",
        help="Your own certificate (PEM, with its chain), instead of ACME; the hub's address "
        "is https:// (hub.bind_url). Read again at each hub start.",
    ).tag(config=True)

    key = Unicode("", help="The key of https.cert (readable by root only).").tag(config=True)

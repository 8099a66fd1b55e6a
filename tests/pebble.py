"""A real ACME server for the tests: Debian's ``pebble`` (Let's Encrypt's test CA) on free
loopback ports. Installed by scripts/install-system-deps.sh.

Pebble validates no challenge (``PEBBLE_VA_ALWAYS_VALID``), so a client gets certificates
without answering on ports 80/443. Its own HTTPS listener uses a certificate from a CA made
here (the package ships none); the certificates it issues chain to roots it regenerates at
every start, fetched with ``Pebble.issuer_roots()``."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import ipaddress
import json
import os
import shutil
import ssl
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from harness import free_port, wait_for

START_TIMEOUT = 20
# no artificial sleeps, no challenge validation, no rejected nonces, no reused authorizations
PEBBLE_ENV = {
    "PEBBLE_VA_NOSLEEP": "1",
    "PEBBLE_VA_ALWAYS_VALID": "1",
    "PEBBLE_WFE_NONCEREJECT": "0",
    "PEBBLE_AUTHZREUSE": "0",
}


@dataclasses.dataclass(frozen=True)
class Pebble:
    """A running pebble: its ACME directory URL, the CA of its own HTTPS certificate, its log."""

    directory: str
    management: str
    server_ca: Path
    log: Path
    root: Path

    def issuer_roots(self) -> Path:
        """Write the roots of the certificates pebble issues to a PEM file in root; its path."""
        context = ssl.create_default_context(cafile=str(self.server_ca))
        with urllib.request.urlopen(f"{self.management}/roots/0", context=context) as response:
            pem = response.read()
        path = self.root / "issuer-roots.pem"
        path.write_bytes(pem)
        return path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def make_server_certificate(root: Path) -> tuple[Path, Path, Path]:
    """A CA and a leaf for 127.0.0.1 and localhost that it signed: (ca, cert, key) PEM paths."""
    now = datetime.datetime.now(datetime.timezone.utc)
    start, end = now - datetime.timedelta(minutes=5), now + datetime.timedelta(days=1)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("labfleet test pebble server CA"))
        .issuer_name(_name("labfleet test pebble server CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )  # fmt: skip
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    leaf = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.ExtendedKeyUsageOID.SERVER_AUTH]), False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_path, cert_path, key_path = root / "server-ca.pem", root / "server.pem", root / "server.key"
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return ca_path, cert_path, key_path


@contextlib.contextmanager
def running_pebble(root: Path) -> Iterator[Pebble]:
    """Start pebble with its config, certificate and log in ``root``; stop it at exit."""
    binary = shutil.which("pebble")
    if binary is None:
        pytest.skip("Debian's pebble is not installed (scripts/install-system-deps.sh)")
    root.mkdir(parents=True, exist_ok=True)
    server_ca, cert, key = make_server_certificate(root)
    port, management_port = free_port(), free_port()
    config = root / "pebble-config.json"
    config.write_text(
        json.dumps(
            {
                "pebble": {
                    "listenAddress": f"127.0.0.1:{port}",
                    "managementListenAddress": f"127.0.0.1:{management_port}",
                    "certificate": str(cert),
                    "privateKey": str(key),
                    # validation is off (PEBBLE_VA_ALWAYS_VALID): ports it would never dial
                    "httpPort": free_port(),
                    "tlsPort": free_port(),
                    "ocspResponderURL": "",
                    "externalAccountBindingRequired": False,
                }
            },
            indent=2,
        )
    )
    pebble = Pebble(
        directory=f"https://127.0.0.1:{port}/dir",
        management=f"https://127.0.0.1:{management_port}",
        server_ca=server_ca,
        log=root / "pebble.log",
        root=root,
    )
    with pebble.log.open("wb") as log:
        process = subprocess.Popen(
            [binary, "-config", str(config)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            env={**os.environ, **PEBBLE_ENV}, cwd=root,
        )  # fmt: skip
    context = ssl.create_default_context(cafile=str(server_ca))

    def answers() -> bool:
        if process.poll() is not None:
            raise RuntimeError(f"pebble exited ({process.returncode}):\n{pebble.log.read_text()}")
        try:
            with urllib.request.urlopen(pebble.directory, context=context, timeout=2) as response:
                return response.status == 200
        except OSError:  # not listening yet (URLError is an OSError)
            return False

    try:
        wait_for(answers, START_TIMEOUT, f"pebble's directory {pebble.directory}", interval=0.1)
        yield pebble
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

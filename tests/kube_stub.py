"""A recording stub of the Kubernetes API, for tests without a cluster.

It is a stub, not a cluster: it speaks the JSON of the core API for what KubeSpawner and the
kubernetes backend call (list, watch, create, read, delete of pods, PVCs and events; pod
logs) over HTTPS with a certificate of its own, keeps the objects in memory, and records
every request for the test to check. A created pod turns Running at once, with the address
127.0.0.1, and a tiny HTTP server answers on its notebook port in the server's place (no
image runs, nothing is scheduled, no PVC is bound). The metrics API is absent, as in a
cluster without metrics-server.
"""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import itertools
import json
import ssl
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tornado import httpserver, web
from tornado.iostream import StreamClosedError
from tornado.netutil import bind_sockets

KINDS = {"pods": "Pod", "persistentvolumeclaims": "PersistentVolumeClaim", "events": "Event"}
TOKEN = "stub-service-account-token"


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (its own CA) and its key."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "kube-stub")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "stub.crt", folder / "stub.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@dataclass
class Request:
    """One request the stub answered."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    authorization: str | None


def status(code: int, reason: str, message: str) -> dict:
    return {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": reason,
            "message": message, "code": code}  # fmt: skip


def matches(obj: dict, selector: str | None) -> bool:
    """Whether ``obj``'s labels satisfy an equality/existence label selector."""
    labels = obj["metadata"].get("labels") or {}
    for term in filter(None, (selector or "").split(",")):
        key, equals, value = term.partition("=")
        if (equals and labels.get(key) != value) or (not equals and key not in labels):
            return False
    return True


@dataclass
class State:
    """The objects by kind and namespace/name, and every change, numbered."""

    objects: dict[str, dict[str, dict]] = field(default_factory=lambda: {k: {} for k in KINDS})
    history: list[tuple[int, str, dict]] = field(default_factory=list)  # (version, kind, event)
    versions: itertools.count = field(default_factory=lambda: itertools.count(1))
    changed: asyncio.Event | None = None
    servers: dict[str, httpserver.HTTPServer] = field(default_factory=dict)

    def change(self, kind: str, kind_event: str, obj: dict) -> None:
        version = next(self.versions)
        obj["metadata"]["resourceVersion"] = str(version)
        self.history.append((version, kind, {"type": kind_event, "object": obj}))
        self.changed.set()
        self.changed = asyncio.Event()


class PodServer(web.RequestHandler):
    """Answers in a pod's place, as a server that is up."""

    def get(self, path: str) -> None:
        self.write({"pod": "stub"})


class Handler(web.RequestHandler):
    stub: KubeStub

    def record(self, body: Any = None) -> None:
        query = {k: self.get_argument(k) for k in self.request.query_arguments}
        self.stub.requests.append(
            Request(
                self.request.method,
                self.request.path,
                query,
                body,
                self.request.headers.get("Authorization"),
            )  # fmt: skip
        )

    def fail(self, code: int, reason: str, message: str) -> None:
        self.set_status(code)
        self.write(status(code, reason, message))

    @property
    def state(self) -> State:
        return self.stub.state


class Collection(Handler):
    """/api/v1/namespaces/NS/KIND: list (or watch), create."""

    async def get(self, namespace: str, kind: str) -> None:
        self.record()
        if self.get_argument("watch", "").lower() in ("true", "1"):
            await self.watch(namespace, kind)
            return
        items = [o for key, o in self.state.objects[kind].items()
                 if key.startswith(f"{namespace}/")
                 and matches(o, self.get_argument("labelSelector", None))]  # fmt: skip
        version = self.state.history[-1][0] if self.state.history else 0
        self.write({"kind": f"{KINDS[kind]}List", "apiVersion": "v1", "items": items,
                    "metadata": {"resourceVersion": str(version)}})  # fmt: skip

    async def watch(self, namespace: str, kind: str) -> None:
        since = int(self.get_argument("resourceVersion", "0") or 0)
        selector = self.get_argument("labelSelector", None)
        deadline = asyncio.get_running_loop().time() + int(
            self.get_argument("timeoutSeconds", "30")
        )
        self.set_header("Content-Type", "application/json")
        try:
            while asyncio.get_running_loop().time() < deadline:
                for version, what, event in list(self.state.history):
                    obj = event["object"]
                    if (version > since and what == kind
                            and obj["metadata"]["namespace"] == namespace
                            and matches(obj, selector)):  # fmt: skip
                        self.write(json.dumps(event) + "\n")
                        since = version
                await self.flush()
                try:
                    await asyncio.wait_for(self.state.changed.wait(), 1)
                except asyncio.TimeoutError:
                    pass
        except StreamClosedError:
            return

    def post(self, namespace: str, kind: str) -> None:
        body = json.loads(self.request.body)
        self.record(body)
        name = body["metadata"]["name"]
        key = f"{namespace}/{name}"
        if key in self.state.objects[kind]:
            self.fail(409, "AlreadyExists", f'{kind} "{name}" already exists')
            return
        obj = json.loads(json.dumps(body))
        obj["metadata"].update(
            namespace=namespace, uid=str(uuid.uuid4()),
            creationTimestamp=datetime.datetime.now(datetime.timezone.utc).isoformat(),
        )  # fmt: skip
        if kind == "pods":
            obj["status"] = {"phase": "Pending"}
        elif kind == "persistentvolumeclaims":
            obj["status"] = {"phase": "Pending"}
        self.state.objects[kind][key] = obj
        self.state.change(kind, "ADDED", obj)
        if kind == "pods":
            self.stub.run_pod(key)
        self.set_status(201)
        self.write(obj)


class Item(Handler):
    """/api/v1/namespaces/NS/KIND/NAME: read, delete."""

    def get(self, namespace: str, kind: str, name: str) -> None:
        self.record()
        obj = self.state.objects[kind].get(f"{namespace}/{name}")
        if obj is None:
            self.fail(404, "NotFound", f'{kind} "{name}" not found')
        else:
            self.write(obj)

    def delete(self, namespace: str, kind: str, name: str) -> None:
        self.record(json.loads(self.request.body) if self.request.body else None)
        obj = self.state.objects[kind].pop(f"{namespace}/{name}", None)
        if obj is None:
            self.fail(404, "NotFound", f'{kind} "{name}" not found')
            return
        if kind == "pods":
            self.stub.end_pod(f"{namespace}/{name}")
        self.state.change(kind, "DELETED", obj)
        self.write(obj)


class Log(Handler):
    """/api/v1/namespaces/NS/pods/NAME/log"""

    def get(self, namespace: str, name: str) -> None:
        self.record()
        if f"{namespace}/{name}" not in self.state.objects["pods"]:
            self.fail(404, "NotFound", f'pods "{name}" not found')
            return
        lines = [f"[stub] line {i} of {name}" for i in range(1, 6)]
        tail = int(self.get_argument("tailLines", "0") or 0)
        self.set_header("Content-Type", "text/plain")
        self.write("\n".join(lines[-tail:] if tail else lines) + "\n")


class Missing(Handler):
    """Everything else, the metrics API included: 404, recorded."""

    def get(self, path: str) -> None:
        self.record()
        self.fail(404, "NotFound", "the server could not find the requested resource")

    post = delete = put = patch = get


class KubeStub:
    """The stub on 127.0.0.1, in a thread of its own; ``requests`` records what it answered."""

    def __init__(self, folder: Path):
        self.cert, self.key = make_certificate(folder)
        self.requests: list[Request] = []
        self.state = State()
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()

    def start(self) -> None:
        threading.Thread(target=self._run, daemon=True).start()
        self._ready.wait(10)

    def _run(self) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self.state.changed = asyncio.Event()
            Handler.stub = self
            app = web.Application([
                (r"/api/v1/namespaces/([^/]+)/pods/([^/]+)/log", Log),
                (r"/api/v1/namespaces/([^/]+)/(pods|persistentvolumeclaims|events)", Collection),
                (r"/api/v1/namespaces/([^/]+)/(pods|persistentvolumeclaims)/([^/]+)", Item),
                (r"(.*)", Missing),
            ])  # fmt: skip
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(self.cert, self.key)
            server = httpserver.HTTPServer(app, ssl_options=context)
            sockets = bind_sockets(0, "127.0.0.1")
            server.add_sockets(sockets)
            self.port = sockets[0].getsockname()[1]
            self._ready.set()
            await asyncio.Event().wait()

        asyncio.run(main())

    # -- pods ----------------------------------------------------------------------

    def run_pod(self, key: str) -> None:
        """Answer on the pod's notebook port and mark it Running (after a moment)."""

        async def running() -> None:
            await asyncio.sleep(0.2)
            pod = self.state.objects["pods"].get(key)
            if pod is None:
                return
            port = next(p["containerPort"] for c in pod["spec"]["containers"]
                        for p in c.get("ports", []) if p.get("name") == "notebook-port")  # fmt: skip
            server = httpserver.HTTPServer(web.Application([(r"(.*)", PodServer)]))
            server.listen(port, "127.0.0.1")
            self.state.servers[key] = server
            started = datetime.datetime.now(datetime.timezone.utc).isoformat()
            pod["status"] = {
                "phase": "Running", "podIP": "127.0.0.1",
                "containerStatuses": [
                    {"name": c["name"], "image": c["image"], "imageID": "", "ready": True,
                     "restartCount": 0, "state": {"running": {"startedAt": started}}}
                    for c in pod["spec"]["containers"]
                ],
            }  # fmt: skip
            self.state.change("pods", "MODIFIED", pod)

        asyncio.ensure_future(running())

    def end_pod(self, key: str) -> None:
        server = self.state.servers.pop(key, None)
        if server is not None:
            server.stop()

    # -- what the test reads ------------------------------------------------------

    def posted(self, kind: str) -> list[dict]:
        """The bodies of the objects created of ``kind`` (pods, persistentvolumeclaims)."""
        return [r.body for r in self.requests if r.method == "POST" and r.path.endswith(f"/{kind}")]

    def calls(self, method: str, fragment: str) -> list[Request]:
        return [r for r in self.requests if r.method == method and fragment in r.path]

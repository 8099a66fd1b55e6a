"""The images of the docker backend's servers: which are listed, which are missing, and
``labfleet images pull`` with a progress bar for each."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import docker

BAR = 30


def listed(default_image: str, environment_images: Iterable[str | None]) -> list[str]:
    """The backend's image and every environment's, each once, in that order."""
    return list(dict.fromkeys([default_image, *(i for i in environment_images if i)]))


def missing(client: docker.DockerClient, images: Iterable[str]) -> list[str]:
    """The images not on the engine."""
    absent = []
    for image in images:
        try:
            client.images.get(image)
        except docker.errors.ImageNotFound:
            absent.append(image)
    return absent


@dataclass
class Progress:
    """The engine's pull events folded into one line: bytes done of all the layers."""

    layers: dict[str, tuple[int, int]] = field(default_factory=dict)
    status: str = ""

    def add(self, event: dict) -> None:
        self.status = event.get("status", self.status)
        detail = event.get("progressDetail") or {}
        if event.get("id") and detail.get("total"):
            self.layers[event["id"]] = (detail.get("current", 0), detail["total"])
        elif event.get("id") and self.status in ("Download complete", "Pull complete"):
            done = self.layers.get(event["id"])
            if done:
                self.layers[event["id"]] = (done[1], done[1])

    def line(self, image: str) -> str:
        current = sum(c for c, _ in self.layers.values())
        total = sum(t for _, t in self.layers.values())
        if not total:
            return f"{image}: {self.status}"
        share = min(1.0, current / total)
        filled = round(BAR * share)
        return (
            f"{image}: [{'#' * filled}{'.' * (BAR - filled)}] {100 * share:3.0f}% "
            f"{current / 1e6:.0f}/{total / 1e6:.0f} MB"
        )


def pull(client: docker.DockerClient, image: str, show: Callable[[str], None]) -> str | None:
    """Pull ``image``, showing its progress line; None when done, else why not."""
    repository, _, tag = image.rpartition(":") if ":" in image.split("/")[-1] else (image, "", "")
    progress = Progress()
    try:
        events: Iterator[dict] = client.api.pull(
            repository, tag=tag or "latest", stream=True, decode=True
        )
        for event in events:
            if "error" in event:
                return event["error"]
            progress.add(event)
            show(progress.line(image))
    except docker.errors.APIError as e:
        return e.explanation or str(e)
    return None

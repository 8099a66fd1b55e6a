"""labfleet's trait types."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from jupyterhub.traitlets import ByteSpecification
from traitlets import Float, HasTraits, Instance, TraitError, Unicode
from traitlets.config import Configurable


class Component(Instance):
    """A configurable object that its owner makes on first use, with itself as parent.

    The object reads its settings from the owner's configuration (its class's section).
    """

    def __init__(self, klass: type[Configurable], **kwargs: Any):
        help_text = kwargs.pop("help", None) or (klass.__doc__ or "").strip().splitlines()[0]
        super().__init__(klass, help=help_text, **kwargs)

    def default(self, obj: HasTraits | None = None) -> Configurable:
        return self.klass(parent=obj)


def component_traits(components: Iterable[tuple[str, type[Configurable]]]) -> dict[str, Component]:
    """One :class:`Component` trait per (attribute, class)."""
    return {attribute: Component(klass) for attribute, klass in components}


def size_text(size: int) -> str:
    """``size`` bytes the way sizes are written in labfleet.yaml: 32M, 2G, 1536 ..."""
    for suffix, unit in reversed(ByteSpecification.UNIT_SUFFIXES.items()):
        if size and size % unit == 0:
            return f"{size // unit}{suffix}"
    return str(size)


class Size(ByteSpecification):
    """A size in bytes: a whole number, or 512M, 2G, 1.5G (JupyterHub's mem_limit syntax),
    at least ``minimum``. Every size labfleet reads is one, so the message is the same
    wherever a size is refused (labfleet.yaml, the Groups page, an environment)."""

    def __init__(self, *args: Any, minimum: int = 0, example: str = "", **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.minimum = minimum
        self.example = example or ("5G" if minimum else "512M, 2G or 1.5G")

    def validate(self, obj: HasTraits | None, value: Any) -> int:
        try:
            size = None if isinstance(value, bool) else super().validate(obj, value)
        except (TraitError, TypeError, ValueError, IndexError, OverflowError):
            size = None
        if size is None or size < self.minimum:
            least = f" of at least {size_text(self.minimum)}," if self.minimum else ""
            raise TraitError(f"{value!r} is not a size{least} such as {self.example}")
        return size


class Cpus(Float):
    """A number of CPUs above 0, such as 2 or 0.5 (a fraction of one CPU)."""

    def validate(self, obj: HasTraits | None, value: Any) -> float:
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not number or not value > 0 or not math.isfinite(value):
            raise TraitError(f"{value!r} is not a number of CPUs above 0, such as 2 or 0.5")
        return float(value)


MIN_MEMORY = 64 * 2**20  # bytes: the least memory a server starts in


def memory_limit(**kwargs: Any) -> Size:
    """The memory a server may use, wherever it is set (spawner, group, environment)."""
    return Size(None, allow_none=True, minimum=MIN_MEMORY, example="512M, 2G or 1.5G", **kwargs)


def check_url(value: str, schemes: Iterable[str], example: str) -> None:
    """TraitError unless ``value`` is a URL of one of ``schemes``, with a host (or a socket's
    path) and a valid port, as the hub reads it."""
    parts = urlsplit(value)
    try:
        parts.port  # noqa: B018 (ValueError for a port that is not one)
        place = parts.netloc or ("unix" in parts.scheme and parts.path)
    except ValueError:
        place = ""
    if not place or parts.scheme not in schemes or any(c.isspace() for c in value):
        raise TraitError(f"{value!r} is not a URL such as {example}")


class Url(Unicode):
    """A URL of one of ``schemes`` ('' when ``allow_empty``)."""

    def __init__(
        self, *args: Any, schemes: tuple[str, ...], example: str, allow_empty: bool = True,
        **kwargs: Any,
    ):  # fmt: skip
        super().__init__(*args, **kwargs)
        self.schemes, self.example, self.allow_empty = schemes, example, allow_empty

    def validate(self, obj: HasTraits | None, value: Any) -> str:
        value = super().validate(obj, value)
        if value or not self.allow_empty:
            check_url(value, self.schemes, self.example)
        return value

"""labfleet's trait types."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from traitlets import HasTraits, Instance
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

"""Imports every labfleet process leaves out.

jsonschema's format checker imports ``rfc3987_syntax`` when it is installed (jupyter-events
asks for it, in the hub and in every server), which builds some 35 Lark grammars at import:
about a second of each start on a small machine (jupyter-server issue 1559). The formats
it checks (IRIs) occur in none of the schemas the hub or a server validates, so labfleet's
processes leave the import out, whatever version of either package is installed.
"""

from __future__ import annotations

import sys


def leave_out_iri_grammars() -> None:
    """Make an import of ``rfc3987_syntax`` fail: jsonschema leaves those formats unchecked."""
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[assignment]

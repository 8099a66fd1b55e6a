"""``python -m labfleet.singleuser``: JupyterHub's single-user server, started faster.

jsonschema's format checker imports ``rfc3987_syntax`` when it is installed (jupyter-events
asks for it), which builds some 35 Lark grammars at import: about a second of every
server's start on a small machine (jupyter-server issue 1559). The formats it checks
(IRIs) do not occur in the schemas a server validates, so the import is left out here,
whatever version of either package is installed. Arguments are jupyterhub-singleuser's.
"""

from __future__ import annotations

import sys


def main() -> None:
    # an import of it now fails, and jsonschema leaves those formats unchecked
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[assignment]
    from jupyterhub.singleuser import main as singleuser

    sys.exit(singleuser())


if __name__ == "__main__":
    main()

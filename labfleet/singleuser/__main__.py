"""``python -m labfleet.singleuser``: JupyterHub's single-user server, started faster:
without the grammars ``rfc3987_syntax`` builds at import (labfleet.lean_imports, applied
as the labfleet package is imported). Arguments are jupyterhub-singleuser's.

The hub gives the server its notification key in the environment; it is taken out here,
so that no kernel or terminal inherits it.
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    from jupyterhub.singleuser import main as singleuser

    from ..notify.tickets import KEY_ENVIRONMENT
    from .identity import hand_over_key

    hand_over_key(bytes.fromhex(os.environ.pop(KEY_ENVIRONMENT, "")))
    sys.exit(singleuser())


if __name__ == "__main__":
    main()

"""``python -m labfleet.singleuser``: JupyterHub's single-user server, started faster:
without the grammars ``rfc3987_syntax`` builds at import (labfleet.lean_imports, applied
as the labfleet package is imported). Arguments are jupyterhub-singleuser's.

The server's notification key is taken here (:func:`labfleet.notify.tickets.take_key`):
from the file the hub wrote for this start, deleted once read, and out of the environment,
so that no kernel or terminal inherits it.
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    from jupyterhub.singleuser import main as singleuser

    from ..notify.tickets import take_key
    from .identity import hand_over_key

    hand_over_key(take_key(os.environ))
    sys.exit(singleuser())


if __name__ == "__main__":
    main()

"""``python -m labfleet.singleuser``: JupyterHub's single-user server, started faster:
without the grammars ``rfc3987_syntax`` builds at import (labfleet.lean_imports, applied
as the labfleet package is imported). Arguments are jupyterhub-singleuser's.
"""

from __future__ import annotations

import sys


def main() -> None:
    from jupyterhub.singleuser import main as singleuser

    sys.exit(singleuser())


if __name__ == "__main__":
    main()

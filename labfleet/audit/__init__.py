"""The audit log: every state-changing operation, with actor, target and result.

:mod:`.recording` writes events, :mod:`.hub_requests` records what JupyterHub's own
handlers did, :mod:`.reading` filters and pages them, :mod:`.pruning` deletes old ones.
"""

from .recording import record

__all__ = ["record"]

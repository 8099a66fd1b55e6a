"""labfleet: a multi-user Jupyter platform built on JupyterHub."""

from .lean_imports import leave_out_iri_grammars

__version__ = "0.1.0"

# before anything imports jsonschema: every labfleet process (hub, CLI, servers) starts faster
leave_out_iri_grammars()

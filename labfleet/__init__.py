"""labfleet: a multi-user Jupyter platform built on JupyterHub."""

__version__ = "0.1.0"

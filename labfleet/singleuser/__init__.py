"""What runs inside users' servers: ``python -m labfleet.singleuser`` starts JupyterHub's
single-user server (``jupyterhub-singleuser``) faster; ``labfleet.singleuser.forkserver``
forks them from a process that has imported it already; ``labfleet.singleuser.extension``
is labfleet's jupyter_server extension, enabled in every user environment."""


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "labfleet.singleuser.extension"}]

"""What runs inside users' servers: ``python -m labfleet.singleuser`` starts JupyterHub's
single-user server (``jupyterhub-singleuser``) faster; ``labfleet.singleuser.forkserver``
forks them from a process that has imported it already."""

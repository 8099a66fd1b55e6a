"""Kubernetes through the Zero to JupyterHub chart: pure builders of what labfleet sends to
the cluster (PVCs, pod volumes), of the chart's values and of the images' Dockerfiles."""

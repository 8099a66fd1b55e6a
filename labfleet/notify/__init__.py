"""Notifications: broadcasts from the hub into users' running JupyterLab sessions.

:mod:`tickets` signs what the hub sends and is all that users' servers import of it;
:mod:`messages` checks what an admin asks for; :mod:`recipients` says who gets it;
:mod:`delivery` sends it to every server through the proxy; :mod:`history` keeps each
broadcast and its results; :mod:`broadcaster` ties them to the running hub (sending,
schedules, the culler's warnings, messages for servers that start later);
:mod:`broadcast_cli` is ``labfleet broadcast``.
"""

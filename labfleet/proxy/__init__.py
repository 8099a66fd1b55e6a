"""The proxy of the local and docker backends: Caddy, its own process, driven by the hub
through its admin API (:mod:`.caddy`), configured by pure builders (:mod:`.config`,
:mod:`.routes`)."""

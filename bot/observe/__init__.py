"""Cross-cutting observability: the request id of the command being answered
(``context``), the log set-up (``logs``), the Prometheus metrics (``metrics``) and the
readiness rule (``health``).

A leaf package: it imports nothing else of fwbot, so every layer (adapters, commands,
service, gateway, store) may use it without importing upward.
"""

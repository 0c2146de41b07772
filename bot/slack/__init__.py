"""The Slack adapter: a bolt app that routes `/fw` to the commands layer and acks fast.

Only ``bot.cli`` imports this package; everything is built in functions
(``create_app``, ``run_socket_mode``, ``run_http``), never at import.
"""

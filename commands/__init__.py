"""The /fw language: text in, a ``Reply`` out, for the Slack adapter and the console alike.

- ``commands.dispatch.dispatch(text, ctx)`` is the entry point.
- ``commands.grammar`` parses text against declared ``CommandSpec``s.
- ``commands.subcommands.<name>`` holds one subcommand: its ``SPEC`` and ``run``.
- ``commands.registry.COMMANDS`` lists them; adding a command is one module plus one line there.
- ``commands.render`` turns service results into Block Kit and console text, within Slack's limits.

Nothing here imports Slack: blocks are plain dicts.
"""

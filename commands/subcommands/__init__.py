"""One module per /fw subcommand, each exporting ``SPEC`` and ``run``; see commands.registry."""

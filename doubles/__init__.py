"""Test doubles shared by the tests and the benchmarks: a mock of Slack's Web API that
records calls, Slack request signing, and the tutorial's expected answers. Never imported
by the bot itself (the production image leaves this package out, like localfw)."""

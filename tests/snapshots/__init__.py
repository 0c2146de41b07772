"""Snapshots of the messages users see: whole Block Kit, fallback text and console text."""

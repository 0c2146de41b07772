"""Pure renderers: result models in, Block Kit dicts and terminal text out."""

"""The bluesky channel: settings, pure rendering (graphemes, facets), client and its unit."""

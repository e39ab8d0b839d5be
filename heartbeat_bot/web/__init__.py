"""The HTTP listener: health, metrics and the GitHub webhook."""

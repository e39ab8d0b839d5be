"""The web console: posts, their channels and the actions a person takes, behind a login."""

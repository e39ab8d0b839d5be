"""Discord slash commands."""

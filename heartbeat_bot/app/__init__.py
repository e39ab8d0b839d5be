"""What every entry point shares: the settings and the blog, built once; the announcer wired
to its clients; secrets kept out of logs."""

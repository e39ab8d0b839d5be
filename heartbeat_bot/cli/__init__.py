"""The heartbeat-bot command line: argument parsing and printing only; every command calls
the layers below."""

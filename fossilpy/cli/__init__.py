"""The command line: a lazy click group; each command module loads on use."""

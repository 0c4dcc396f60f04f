"""The `perspective` command line (typer). Thin: parse, call the library, print, exit."""

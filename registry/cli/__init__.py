"""The command line: `registry` (typer + rich), one subcommand per application command.

`registry.cli:app` is the console script. One module per group of commands;
`core` holds the session, option types and error handling, `output` the rendering.
"""

from registry.cli.main import app

__all__ = ["app"]

"""Command glue: what `pipeline-bot COMMAND` does between parsing and the domain modules.

The domain modules (`bot.nudges`, `bot.digest`, `bot.announce`, …) never import the command line;
the command line (`bot.cli`) dispatches here through one table.
"""

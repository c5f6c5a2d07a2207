"""One module per ``metgrad`` subcommand: ``add_arguments(parser)`` and ``run(args)``."""

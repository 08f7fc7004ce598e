"""modes: where lines come from (REPL, batch files, -c, replay). All call the pipeline."""

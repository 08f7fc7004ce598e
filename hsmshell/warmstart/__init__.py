"""Warm start: the `hsmshell` console script hands a non-interactive command (`-c`, `run FILE`,
a subcommand) to a resident process that has already imported hsmshell, which forks a copy of
itself to run it with the caller's own stdin/stdout/stderr, working directory, environment and
umask. The fork runs the same `cli.main` a cold start runs, so audit, policy and output are
those of a cold start; only the ~50 ms of imports are gone (docs/performance.md, "Warm start").

  address.py  where the process listens, who may use it, what a request looks like (stdlib only)
  client.py   the console script's entry: hand over, or run here and start one for next time
  preload.py  what the resident process imports first, and how it knows the code is unchanged
  server.py   the resident process: accept, check, hand over to a spare fork, report statuses
  child.py    make the fork the client's process (it alone reads the request's argv and
              environment) and run the command
"""

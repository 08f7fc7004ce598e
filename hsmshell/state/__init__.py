"""Where hsmshell keeps things on disk: the state home, one folder per cluster, its database."""

"""What `hsmshell cluster ...`, `configure` and `logs` do: the cluster's life outside the shell
(the CloudHSM API and console side: create, initialize, fail over, configure a client, read
the HSM logs). Each operation returns a Result; hsmshell/subcommands/ renders it."""

from hsmshell.cli import main

raise SystemExit(main())

from tabprep.cli import main

raise SystemExit(main())

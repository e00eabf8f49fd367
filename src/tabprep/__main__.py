"""``python -m tabprep``: the same as the ``tabprep`` command."""

if __name__ == "__main__":
    from tabprep.cli import main

    raise SystemExit(main())

"""``python -m fossilpy`` runs the command line."""

from fossilpy.cli.main import main

if __name__ == "__main__":
    main()

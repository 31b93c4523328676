"""`python -m ssmreach`."""

from ssmreach.cli.app import main

if __name__ == "__main__":
    main()

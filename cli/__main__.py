"""`python -m cli`: the `rag` command."""

from cli.main import main

main()

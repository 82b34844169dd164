"""`python -m linkage …`: the `linkage` command, for where its script is not on PATH (a venv
that is not activated)."""

from linkage.cli import main

main()

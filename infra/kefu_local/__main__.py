"""`python -m kefu_local` is the `kefu` command."""

from kefu_local.cli import main

main()

"""``python -m neuroplast`` runs the command-line interface."""

from neuroplast.cli import main

raise SystemExit(main())

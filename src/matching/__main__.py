"""``python -m matching`` runs the command line."""

from __future__ import annotations

from matching.cli import main

main()

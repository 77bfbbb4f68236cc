"""matching: candidate scoring and matching for recruiting teams.

Importing the package does no work: settings, models and vocabularies are loaded by the
entry points that need them.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]

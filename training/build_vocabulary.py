"""Build the skill and occupation vocabularies shipped in ``src/matching/taxonomy/data``.

Usage::

    python training/build_vocabulary.py [--data-dir DIR] [--out DIR]

``--data-dir`` defaults to ``MATCHING_DATA_DIR`` or ``../shared/data``; ``--out`` to the
package's data folder. The logic lives in ``matching.taxonomy.build_vocabulary``.
"""

from __future__ import annotations

import sys

from matching.settings import configure_offline
from matching.taxonomy._build import main

if __name__ == "__main__":
    configure_offline()
    sys.exit(main())

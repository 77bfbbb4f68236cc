"""Print the Bento's requirements: the project's runtime dependencies at the versions installed.

Used by `make bento`; the CPU build of PyTorch comes from PyTorch's index (a plain `torch`
from PyPI is a multi-GB CUDA build).
"""

from __future__ import annotations

import re
from importlib.metadata import PackageNotFoundError, requires, version


def main() -> None:
    """Write one pinned line per runtime dependency of `matching` to stdout."""
    lines = ["--extra-index-url https://download.pytorch.org/whl/cpu", f"torch=={version('torch')}"]
    for requirement in requires("matching") or []:
        name = re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0]
        if "extra ==" in requirement or name == "torch":
            continue
        try:
            lines.append(f"{name}=={version(name)}")
        except PackageNotFoundError:
            lines.append(requirement)
    print("\n".join(lines))


if __name__ == "__main__":
    main()

"""Where chemspace-tui keeps files between runs: an environment variable, else the platform's user directory."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

APP_NAME = "chemspace-tui"


def user_dir(kind: Literal["data", "cache"]) -> Path:
    """``$CHEMSPACE_DATA_DIR`` / ``$CHEMSPACE_CACHE_DIR`` if set, else platformdirs' user data/cache directory.

    Data (known-materials sets) is what the user fetched or imported; cache (projections) can be
    deleted at any time.
    """
    env = os.environ.get(f"CHEMSPACE_{kind.upper()}_DIR")
    if env:
        return Path(env)
    import platformdirs

    find = platformdirs.user_data_dir if kind == "data" else platformdirs.user_cache_dir
    return Path(find(APP_NAME))

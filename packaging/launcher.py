"""Entry script of the packaged app: PyInstaller runs this file as __main__.

Everything happens in app.main.main(), whose first step (frozen only) turns this process
into a loky/multiprocessing helper when that is what the command line asks for.
"""
from __future__ import annotations

import sys

from app.main import main

if __name__ == "__main__":
    sys.exit(main())

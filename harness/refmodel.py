#!/usr/bin/env python3
"""The reference model's command line: python3 harness/refmodel.py TRACE...
(exit 1 when a violation is found).

The model itself is the package harness/refmodel/ (its __init__.py lists a module per
rule family). `import refmodel` loads that package, not this file: on the import path
a package directory comes before a module of the same name. This file only keeps the
command line it had before it became a package.
"""
import sys

from refmodel import main   # the package harness/refmodel/, next to this file

if __name__ == "__main__":
    sys.exit(main(sys.argv))

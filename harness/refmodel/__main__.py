"""The reference model's command line, run as a package: python3 -m refmodel TRACE...
with harness/ on the import path; the same as python3 harness/refmodel.py TRACE...
(exit 1 when a violation is found)."""
import sys

from . import main

sys.exit(main(sys.argv))

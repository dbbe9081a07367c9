import sys

from kvi_core.cli import main

sys.exit(main())

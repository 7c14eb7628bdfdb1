import sys

from sendsim.cli import main

sys.exit(main())

# Tests always run with development settings (no real SECRET_KEY needed).
import os

os.environ.setdefault("TIERLINE_DEV", "1")

#!/usr/bin/env python
from tierline.cli import main

if __name__ == "__main__":
    main()

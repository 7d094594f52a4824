"""fossilpy: Fossil 2.21-compatible SCM and forge in Python.

Importing this package does nothing but define the version; every
subsystem is imported on demand so that CGI and SSH start-up stays cheap.
"""

__version__ = "0.1.0"

#: The Fossil release whose formats and protocol fossilpy matches.
FOSSIL_COMPAT_VERSION = "2.21"

"""One module per page family; each declares ``pages = PageSet()``."""

"""The WSGI application and its pages (see fossilpy.web.app)."""

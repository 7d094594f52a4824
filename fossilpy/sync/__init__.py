"""The Fossil 2.21 sync ("xfer") protocol, both ends, sans-io.

See ``www/doc/sync.md`` for the protocol and the module map:
``cards`` (syntax), ``auth`` (who may do what), ``xfer``/``receive``
(sending and accepting artifacts), ``server`` (``handle_xfer``), ``client``
(the round-trip loop), ``clone``, ``uv`` (unversioned files),
``config_sync``, ``url`` and ``transport``.
"""

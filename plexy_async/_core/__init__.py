"""The HTTP core under ``PlexyClient`` (``plexy_async._client``), in one place.

From the top: ``retry`` decides and waits between attempts; ``transport`` is the only module
that touches aiohttp, with ``loops`` keeping sessions per event loop; ``protocol`` holds the
headers, idempotency keys, error bodies and the status-to-error table; ``converter`` is the one
module that knows the wire format, beside ``lenient_json``; ``config`` and ``routes`` (every
path, once) are at the bottom. ``requester`` is the protocol the services depend on instead of
the client, and ``pagination`` gives list calls their lazy pages.
"""

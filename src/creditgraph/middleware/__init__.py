"""Plain ASGI middleware around the gateway's app, each in its own module and each made
from its section of the configuration: cors.py (cross-origin calls from browser apps) and
compression.py (gzip and brotli for `/graphql` answers)."""

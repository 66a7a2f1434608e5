"""Plain ASGI middleware around the gateway's app, each in its own module: cors.py
(cross-origin calls from browser apps) and compression.py (gzip and brotli for `/graphql`
answers), each made from its section of the configuration, and authentication.py (the bearer
token proven before `/graphql`'s handler runs), made from the gateway's verifiers."""

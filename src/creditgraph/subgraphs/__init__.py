"""What the three subgraphs share: request context, errors, pagination, the
internal credential, the HTTP app and SDL export.

The subgraphs themselves live in `creditgraph.bureau`, `creditgraph.public`
and `creditgraph.scores`; `registry` names them.
"""

"""Re-fetch the portal's vendored graph-drawing library with npm and hold it to its sums.

    python -m creditgraph.portal.vendor            # fetch the pin, compare: exit 1 on drift
    python -m creditgraph.portal.vendor --update   # fetch the pin, write files and SHA256SUMS

The same recipe as GraphiQL's (graphiql/vendor.py does the work): Cytoscape.js
exactly as npm publishes it, its ES-module build shipped as a `.js` file so the
portal's own modules import it by a relative URL, with its licence.
"""

from __future__ import annotations

from creditgraph.graphiql.vendor import Pin, main
from creditgraph.portal.assets import VENDORED

PINS = (
    Pin(
        "cytoscape@3.34.4",
        {
            "package/dist/cytoscape.esm.min.mjs": "cytoscape.esm.min.js",
            "package/LICENSE": "LICENSE.cytoscape",
        },
    ),
)

if __name__ == "__main__":
    raise SystemExit(main(pins=PINS, vendored=VENDORED, prog="python -m creditgraph.portal.vendor"))

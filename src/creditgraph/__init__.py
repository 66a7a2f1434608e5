"""creditgraph: one graph over a subject's credit life, with field-level editions.

The package is laid out one concern per module; see README.md for the map.
"""

__version__ = "0.1.0"

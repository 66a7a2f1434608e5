"""The configuration file: one TOML file, checked at start, every option declared once.

`options.py` declares every setting (its section, kind, default, environment variable,
flag and meaning), `schema.py` loads and checks a file against them, `docs.py` renders
them as the README's configuration section. `load` is what the commands call.
"""

from creditgraph.config.options import SCHEMA
from creditgraph.config.schema import CONFIG_ENV, Config, Option, Section, Values

__all__ = ["CONFIG_ENV", "SCHEMA", "Config", "Option", "Section", "Values"]

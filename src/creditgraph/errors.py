"""Errors a person can act on.

Anything raised as a `CreditgraphError` is a problem with the input or the
environment (a bad DATABASE_URL, a port in use, an edited migration), not a bug:
the command line prints its message as one line and exits non-zero, with no
stack trace. Everything else is a bug and keeps its traceback.
"""


class CreditgraphError(Exception):
    """A failure explained by its message alone."""


class ConfigurationError(CreditgraphError):
    """A setting (environment variable or option) is unusable."""


class DatabaseUnavailable(CreditgraphError):
    """The database could not be reached or started."""


class MigrationError(CreditgraphError):
    """The migrations on disk and the ones applied to the database disagree."""


class SeedError(CreditgraphError):
    """Demo data cannot be loaded as asked."""

"""The public subgraph: court enforcement cases, dishonest-debtor listings,
consumption restrictions, administrative penalties and awards, tax arrears,
red and black lists and the rest of the public record, keyed by the subject's
identifier as the courts and agencies key them."""

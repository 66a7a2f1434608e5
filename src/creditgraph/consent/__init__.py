"""The consent subgraph: the gateway's own records of who may see whose report.

Consent grants live here (the subject grants, lists and revokes them; a bank
records a written authorisation), with the two root fields every client
starts from: `me` and `subject(identifier, purpose)`. Which edition a request
gets is decided in the gateway (creditgraph.access) before anything is
fetched; this subgraph only keeps the records that decision reads.
"""

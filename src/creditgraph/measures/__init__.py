"""Joint rewards and punishments (守信联合激励, 失信联合惩戒) for red and black list entries.

catalogue.py declares which measures a list entry in force triggers (graphql/measures.toml),
notices.py works out which institutions are told and when, decisions.py holds the listing
body's answers to objections and credit-repair applications (`creditgraph objections`,
`creditgraph repairs`) and the institutions' subscriptions to notices.
"""

"""Answers that disclose nothing: a subject's yes/no answers to a named institution.

The subject shares one predicate of the catalogue (graphql/predicates.toml) with
one institution for one purpose (the consent subgraph's `shareEligibility`);
that institution asks `eligibility(subject, predicate, purpose)` and the
gateway answers true or false with an answer id, evaluating the predicate over
the subject's own data fetched from the subgraphs, and never returns the values
it read (answers.py). Each answer is an inquiry of its own kind on the
subject's list, and the subject sees every answer given.
"""

"""The bureau subgraph: subjects, identity history, marriages, credit accounts,
repayment history, guarantees, derived signals and guarantee-chain exposure."""

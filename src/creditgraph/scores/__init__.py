"""The scores subgraph: observations from several providers and scales, their
bands and reason codes, and the bureau's own explainable scorecard."""

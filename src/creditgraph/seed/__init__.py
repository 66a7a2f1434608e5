"""Deterministic demo and load data: named personas plus a realistic population."""

from creditgraph.seed.load import SeedReport, seed_database
from creditgraph.seed.personas import INSTITUTIONS, PERSONAS, Institution, Persona

__all__ = ["INSTITUTIONS", "PERSONAS", "Institution", "Persona", "SeedReport", "seed_database"]

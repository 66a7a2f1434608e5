"""The gateway's authorisation: who asks, on what basis, what they may see, and the record
of every look."""

"""grassroots-scorecard: returns in, scores and reports out."""

__version__ = "0.1.0"

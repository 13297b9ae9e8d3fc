"""Package discovery that pyproject.toml alone cannot say.

The analysts' notebooks stay at the top level (notebooks/) and a wheel carries the
same files as the data-only package pipeline/notebooks/, which
pipeline.report.runner uses when the config's [paths] notebooks is unset.
Everything else about the build is in pyproject.toml.
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["pipeline", "pipeline.*"]), "pipeline.notebooks"],
    package_dir={"pipeline.notebooks": "notebooks"},
)

"""Package discovery that pyproject.toml alone cannot say.

The analysts' notebooks stay at the top level (notebooks/) and a wheel carries the
same files as the data-only package pipeline/notebooks/, which
pipeline.report.runner uses when the config's [paths] notebooks is unset.
The repository's scorecard.toml is the one source of the default configuration:
the build copies it into the wheel as pipeline/demo/scorecard.toml, where
`scorecard demo` reads it (a checkout reads the top-level file itself).
Everything else about the build is in pyproject.toml.
"""

from pathlib import Path

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py


class BuildPy(build_py):
    """Also ship the top-level scorecard.toml as pipeline/demo/scorecard.toml."""

    def run(self) -> None:
        super().run()
        if not self.editable_mode:
            target = Path(self.build_lib, "pipeline", "demo", "scorecard.toml")
            self.mkpath(str(target.parent))
            self.copy_file("scorecard.toml", str(target))


setup(
    cmdclass={"build_py": BuildPy},
    packages=[*find_packages(include=["pipeline", "pipeline.*"]), "pipeline.notebooks"],
    package_dir={"pipeline.notebooks": "notebooks"},
)

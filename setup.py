"""Package discovery that pyproject.toml alone cannot say.

The Textual styles live at the top of the repository (``styles/*.tcss``, as the
architecture lays out) and ship inside the wheel as the package
``claw_tui.styles``; ``find`` only sees packages under their own directory, so
the mapping is added here. Everything else is in pyproject.toml.
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["claw_tui", "claw_tui.*"]), "claw_tui.styles"],
    package_dir={"claw_tui.styles": "styles"},
)

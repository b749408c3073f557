"""acuback: clinical system for practices that treat back pain with acupuncture."""

# The one version source: the package metadata (pyproject.toml reads it from here),
# `acuback --version`, the page footer for admins and CHANGELOG.md's latest entry.
__version__ = "0.2.0"

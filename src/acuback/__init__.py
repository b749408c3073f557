"""acuback: clinical system for practices that treat back pain with acupuncture."""

__version__ = "0.1.0"

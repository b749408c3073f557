"""The clinical core: pure Python rules the system decides by.

Nothing in this package imports Django or any acuback app (checked by
tests/clinical/test_boundary.py); the apps import it.
"""

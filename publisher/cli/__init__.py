"""The ``zkpor`` command line (``main.app``), one thin module per command group: each
command declares its options and calls the library once. Nothing in the library imports
from here.
"""

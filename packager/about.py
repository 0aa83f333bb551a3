"""packager's version: one place, imported by the library and recorded in every release."""

__version__ = "0.1.0"

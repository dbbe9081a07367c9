"""Errors that end a run with one clear line instead of a traceback."""


class KviInputError(Exception):
    """The input (extract, grouping file, output folder) cannot be used at all."""

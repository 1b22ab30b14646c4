"""Errors the core raises for bad input; the CLI and the app turn them into one clear line."""


class InputError(ValueError):
    """A user-supplied value is wrong: the message names the value and what was expected."""


class CancelledError(RuntimeError):
    """A long computation was cancelled between chunks; partial results may be attached."""

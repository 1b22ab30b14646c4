"""Placeholder: replaced by the projection command (issue 4)."""


def project_command() -> None:
    """Embed sampled compositions and reduce them to 2-D."""
    raise SystemExit("not yet available")

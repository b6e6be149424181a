from core.exceptions import PreconditionFailed


def check_version(expected: set[int] | None, actual: int) -> None:
    """Services call this under the row lock with the versions the caller's If-Match named."""
    if expected is not None and actual not in expected:
        raise PreconditionFailed(param="If-Match")

from core.exceptions import DomainError, NotFound


class StatementTooLarge(DomainError):
    status_code = 413
    code = "statement_too_large"
    default_message = "The statement file is larger than this API accepts."


class StatementNotFound(NotFound):
    default_message = "No such statement."


class LineNotFound(NotFound):
    default_message = "No such statement line."


class MatchTargetInvalid(DomainError):
    code = "match_target_invalid"
    default_message = "The line cannot be matched to that object."

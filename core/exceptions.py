"""Domain errors: every error a caller can see carries a stable code and an HTTP status.

Services raise these; the one DRF exception handler renders them into the envelope
`{"error": {"type", "code", "message", "param", "explain"}}`.
"""


class DomainError(Exception):
    status_code = 400
    error_type = "invalid_request_error"
    code = "invalid_request"
    default_message = "The request is invalid."

    def __init__(self, message=None, *, code=None, param=None, explain=None, status_code=None, extra=None):
        self.message = message or self.default_message
        if code:
            self.code = code
        if status_code:
            self.status_code = status_code
        self.param = param
        self.explain = explain
        # Machine-readable detail beyond the envelope (e.g. the lines short of stock).
        self.extra = extra or {}
        super().__init__(self.message)


class NotFound(DomainError):
    status_code = 404
    code = "resource_missing"
    default_message = "No such object."


class InvalidStateTransition(DomainError):
    status_code = 409
    code = "invalid_state_transition"
    default_message = "The object is not in a state that allows this action."


class Conflict(DomainError):
    status_code = 409
    code = "conflict"
    default_message = "The request conflicts with the current state of the object."


class PreconditionFailed(DomainError):
    status_code = 412
    code = "precondition_failed"
    default_message = "The object changed since you read it; fetch it again and retry."


class IdempotencyKeyReused(DomainError):
    status_code = 422
    error_type = "idempotency_error"
    code = "idempotency_key_reused"
    default_message = "This Idempotency-Key was already used with a different request."


class IdempotencyKeyInUse(DomainError):
    status_code = 409
    error_type = "idempotency_error"
    code = "idempotency_key_in_use"
    default_message = "A request with this Idempotency-Key is still being processed; retry later."


class ServiceUnavailable(DomainError):
    status_code = 503
    error_type = "api_error"
    code = "service_unavailable"
    default_message = "A service this request needs is unavailable; retry later."


class ParameterInvalid(DomainError):
    code = "parameter_invalid"
    default_message = "The parameter is not valid."


class RequestTooLarge(DomainError):
    status_code = 413
    code = "request_too_large"
    default_message = "The request body is larger than this API accepts."


class UriTooLong(DomainError):
    status_code = 414
    code = "uri_too_long"
    default_message = "The request URL is longer than this API accepts."


class AmountTooLarge(DomainError):
    code = "amount_too_large"
    default_message = "The amounts add up to more than this API can charge."

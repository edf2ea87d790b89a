"""Domain errors: a rule refused, with a sentence a person can read."""


class DomainError(Exception):
    """Raised by services; views flash it or show it next to a field."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return str(self.message)

"""Why a capture refused: every class is a RuntimeError, as PyTorch's export errors are."""


class ExportError(RuntimeError):
    pass


class DataDependentError(ExportError):
    """A tensor's value escaped to Python (``bool(t)``, ``.item()`` …) during capture."""


class UnsupportedOpError(ExportError):
    """Ops the exported program can't represent; ``.ops`` lists (op, why, module, file:line)."""

    def __init__(self, msg, ops=()):
        super().__init__(msg)
        self.ops = list(ops)


class ConstraintViolationError(ExportError):
    """A dynamic dim was baked in: the graph differs between two sizes of it."""

"""Result dtypes of binary ops: PyTorch's promotion table, written once as data."""
import pytest

import ember

# (left, right, op, expected) — left/right: dtype name (a 1-D tensor), "0d:<dtype>" (a 0-dim
# tensor) or a Python number. Values from PyTorch 2.x.
TABLE = [
    ("int32", 2.5, "add", "float32"),
    ("int64", 2.5, "mul", "float32"),
    ("uint8", "int8", "add", "int16"),
    ("int32", "int64", "add", "int64"),
    ("bool", "bool", "add", "bool"),
    ("bool", 1, "add", "int64"),
    ("bool", 1.5, "add", "float32"),
    ("uint8", 300, "add", "uint8"),
    ("int8", "float16", "add", "float16"),
    ("float16", "float32", "add", "float32"),
    ("float32", "float64", "add", "float64"),
    ("float32", "0d:float64", "add", "float32"),
    ("float16", "0d:float64", "mul", "float16"),
    ("int32", "0d:int64", "add", "int32"),
    ("int32", "0d:float64", "add", "float64"),
    ("uint8", "0d:int8", "add", "uint8"),
    ("int64", "int64", "truediv", "float32"),
    ("int32", 2, "truediv", "float32"),
    ("int64", 2, "floordiv", "int64"),
    ("int64", 2, "mod", "int64"),
    ("int32", 2, "pow", "int32"),
    ("int32", 2.0, "pow", "float32"),
    ("int64", "float64", "maximum", "float64"),
    ("int64", "int64", "atan2", "float32"),
    ("int16", "int32", "and", "int32"),
    ("bool", "bool", "and", "bool"),
    ("int64", 2.5, "lt", "bool"),
    ("float64", 1, "eq", "bool"),
]


def make(x):
    if isinstance(x, str):
        if x.startswith("0d:"):
            return ember.tensor(1, dtype=getattr(ember, x[3:]))
        return ember.ones(3, dtype=getattr(ember, x))
    return x


OPS = {
    "add": lambda a, b: a + b, "mul": lambda a, b: a * b, "truediv": lambda a, b: a / b, "floordiv": lambda a, b: a // b,
    "mod": lambda a, b: a % b, "pow": lambda a, b: a ** b, "maximum": lambda a, b: ember.maximum(a, b),
    "atan2": lambda a, b: ember.atan2(a, b), "and": lambda a, b: a & b, "lt": lambda a, b: a < b, "eq": lambda a, b: a == b,
}


@pytest.mark.parametrize("left,right,op,expected", TABLE)
def test_result_dtype(left, right, op, expected):
    a, b = make(left), make(right)
    assert OPS[op](a, b).dtype == getattr(ember, expected)
    if not isinstance(b, (int, float)) and op in ("add", "mul", "maximum", "and", "eq"):
        assert OPS[op](b, a).dtype == getattr(ember, expected)  # symmetric

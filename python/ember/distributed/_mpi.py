"""The MPI side: mpi4py is imported here, lazily (from ``init_process_group``), never at
``import ember`` — DataLoader workers and single-process programs never initialise MPI.

Every buffer handed to MPI names its datatype explicitly (``[tensor, MPI.FLOAT]``): an ember
tensor exports its bytes through the buffer protocol, and a buffer described only by its
format character could be reduced byte by byte. float16 and bfloat16 have no portable MPI
type and travel as float32.
"""
import importlib.util

_MPI = None


def available():
    """True when mpi4py can be imported (checked without initialising MPI)."""
    return importlib.util.find_spec("mpi4py") is not None


def mpi():
    """The ``mpi4py.MPI`` module, initialising MPI (with thread support) on first use."""
    global _MPI
    if _MPI is None:
        try:
            import mpi4py
        except ImportError as e:
            raise RuntimeError(
                "ember.distributed needs mpi4py and an MPI library: pip install mpi4py mpich") from e
        # The communication thread and the caller may both call MPI.
        mpi4py.rc.thread_level = "multiple"
        from mpi4py import MPI
        _MPI = MPI
    return _MPI


# ember dtype name -> (MPI datatype attribute, dtype the bytes travel as)
_WIRE = {
    "bool": ("C_BOOL", "bool"), "uint8": ("UINT8_T", "uint8"), "int8": ("INT8_T", "int8"),
    "int16": ("INT16_T", "int16"), "int32": ("INT32_T", "int32"), "int64": ("INT64_T", "int64"),
    "float32": ("FLOAT", "float32"), "float64": ("DOUBLE", "float64"),
    "float16": ("FLOAT", "float32"), "bfloat16": ("FLOAT", "float32"),
}


def wire_dtype(dtype):
    """The ember dtype name a tensor of ``dtype`` travels as."""
    return _WIRE[dtype.name][1]


def datatype(dtype):
    """The MPI datatype for a tensor already in its wire dtype."""
    return getattr(mpi(), _WIRE[dtype.name][0])


def buf(t):
    """``[t, MPI type]`` for a contiguous tensor in its wire dtype (zero-copy)."""
    return [t, datatype(t.dtype)]

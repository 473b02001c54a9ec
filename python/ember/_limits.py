"""Size checks for ops composed in Python, made before any loop or allocation sized by an
argument (``repeat_interleave(2**40)``, ``interpolate(size=2**31)``, ``pad(…, 2**40)``).

A request that can't fit in this process's memory raises the RuntimeError PyTorch's
allocator raises ("DefaultCPUAllocator: can't allocate memory: you tried to allocate N
bytes"), naming the op and the shape, instead of looping for hours or being killed. The
limit is the machine's physical memory, or the address-space limit (``ulimit -v``) when that
is lower.
"""
import os
import resource


def memory_limit():
    """Bytes this process could hold at most (None when the platform can't say)."""
    limit = None
    try:
        limit = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        pass
    try:
        soft = resource.getrlimit(resource.RLIMIT_AS)[0]
        if soft != resource.RLIM_INFINITY and (limit is None or soft < limit):
            limit = soft
    except (ValueError, OSError, AttributeError):
        pass
    return limit


def check_alloc(op, shape, itemsize, copies=1):
    """Raises RuntimeError when ``copies`` tensors of ``shape`` (``itemsize`` bytes each
    element) can't fit in memory; returns the element count otherwise."""
    n = 1
    for s in shape:
        n *= int(s)
    nbytes = n * itemsize * copies
    limit = memory_limit()
    if nbytes > 2**62 or (limit is not None and nbytes > limit):
        raise RuntimeError(
            f"DefaultCPUAllocator: can't allocate memory: you tried to allocate {nbytes} bytes. {op}: a tensor of "
            f"size {list(shape)} does not fit in this machine's memory ({limit} bytes); check the size arguments.")
    return n

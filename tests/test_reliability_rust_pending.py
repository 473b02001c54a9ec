"""Issue 19 reproducers whose fix is in Rust — all but those in STILL_PENDING have landed (checked size arithmetic, argument validation
at the Rust entry points, fallible allocation, iterative graph drop, wgpu error flag, GIL).

Each is marked ``xfail(strict=True)`` with the fix it waits for: once that fix is merged
the test passes, strict xfail turns that into a failure, and the mark comes off. Calls
that crash, abort or hang run in a child process, so they fail the test instead of pytest.
Calls that only panic run here: ``outcome`` catches BaseException, since a Rust panic
reaches Python as ``PanicException`` (a BaseException that ``pytest.raises`` can't catch).
"""
import os
import subprocess
import sys
import textwrap

import pytest

import ember
import ember.nn.functional as F
from conftest import requires_wgpu


# The Rust-side fixes that are still missing; every other reproducer here is a plain regression
# test now (its fix landed: checked arithmetic, the panic guard, fallible allocation, …).
STILL_PENDING = set()


def pending(what):
    if what in STILL_PENDING:
        return pytest.mark.xfail(strict=True, reason=f"rust fix pending: {what}")
    return pytest.mark.filterwarnings("default")  # fixed: runs as an ordinary test (a no-op mark)


def outcome(fn):
    """The exception ``fn()`` raises (any BaseException), or None."""
    try:
        fn()
    except BaseException as e:  # noqa: B036 - a PanicException is what we're looking for
        return e
    return None


def child(code, timeout=60, mem_limit=None):
    """Runs ``code`` in a fresh interpreter (address space capped at ``mem_limit`` bytes);
    returns (returncode, stdout, stderr), returncode None on timeout."""
    pre = ""
    if mem_limit:
        pre = f"import resource; resource.setrlimit(resource.RLIMIT_AS, ({mem_limit}, {mem_limit}))\n"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    try:
        r = subprocess.run([sys.executable, "-c", pre + textwrap.dedent(code)], capture_output=True, text=True,
                           timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return None, "", "timed out"
    return r.returncode, r.stdout, r.stderr


def raises_in_child(expr, exc="RuntimeError", match="", **kw):
    """True when ``expr`` raises ``exc`` (message containing ``match``) in a child that then exits normally."""
    code, out, err = child(f"""
        import ember, ember.nn.functional as F
        try:
            {expr}
            print("NO ERROR")
        except {exc} as e:
            print("RAISED", e)
    """, **kw)
    assert code == 0, f"child died (returncode {code}): {err[-1500:]}"
    assert out.startswith("RAISED") and match in out, out
    return True


# ---- 1. size / stride / offset arithmetic unchecked (memory read and written anywhere) ----

@pending("checked numel in ember-layout (as_strided element count)")
def test_as_strided_numel_overflow():
    assert raises_in_child("ember.as_strided(ember.zeros(1), (2**62, 2**62), (0, 0)).clone()", match="overflow")


@pending("checked stride computation in ember-layout (Layout::contiguous)")
def test_empty_stride_overflow():
    assert raises_in_child("ember.empty(0, 2**62, 2**62).sum(0)", match="overflow")


# ---- 2. recursive drop of a long autograd chain overflows the stack ----

@pending("iterative drop of autograd graph nodes")
def test_long_autograd_chain_is_freed_without_recursion():
    code, out, err = child("""
        import ember
        x = ember.ones(1, requires_grad=True)
        total = x * 0
        for _ in range(100_000):
            total = total + x
        del total
        print("freed")
    """, timeout=300)
    assert code == 0 and "freed" in out, err[-1500:]


# ---- 3. allocation aborts instead of RuntimeError ----

@pytest.mark.parametrize("expr", [
    pytest.param("ember.bincount(ember.tensor([1]), minlength=2**62)", marks=pending("bincount: fallible allocation")),
    pytest.param("ember.histc(ember.ones(3), bins=2**62)", marks=pending("histc: fallible allocation")),
    pytest.param("ember.randperm(2**62)", marks=pending("randperm: capacity overflow panic / abort")),
    pytest.param("F.conv2d(ember.ones(1, 2, 3, 3), ember.ones(4, 2, 1, 1), padding=2**40)",
                 marks=pending("conv2d: padded size checked before allocating")),
    pytest.param("F.adaptive_avg_pool2d(ember.ones(1, 1, 2, 2), 2**40)",
                 marks=pending("adaptive_avg_pool2d: output size checked before allocating")),
    # found by the fuzzer
    pytest.param("F.adaptive_avg_pool1d(ember.ones(4, 5, 5), 2**31 - 1)",
                 marks=pending("adaptive_avg_pool2d kernel: fallible allocation ('memory allocation of N bytes failed')")),
    pytest.param("F.adaptive_avg_pool2d(ember.ones(1, 0, 3, 1), 2**31)",
                 marks=pending("adaptive_avg_pool2d kernel: fallible allocation (empty channel dim)")),
    pytest.param("ember.randperm(2**31 - 1)", marks=pending("randperm: fallible allocation")),
    pytest.param("ember.histc(ember.arange(12.0), bins=2**40, min=float('nan'), max=0.5)",
                 marks=pending("histc: bins checked / fallible allocation")),
])
def test_huge_sizes_raise_runtime_error_not_abort(expr):
    assert raises_in_child(expr, mem_limit=6 << 30)


# ---- 4. Rust panics reach Python as PanicException ----

@pytest.mark.parametrize("fn,exc,match", [
    pytest.param(lambda: F.nll_loss(ember.randn(3, 5), ember.tensor([0, 1, 4]), weight=ember.ones(2)), RuntimeError,
                 "weight tensor should be defined either for all 5 classes", marks=pending("nll_loss: class weight length")),
    pytest.param(lambda: ember.zeros(3, 4).scatter(1, ember.zeros(3, 4, dtype=ember.int64), ember.ones(4)), IndexError,
                 "Dimension out of range", marks=pending("scatter: src with fewer dims than index")),
    pytest.param(lambda: ember.can_cast(None, ember.float32), TypeError, "",
                 marks=pending("can_cast(None): unwrap at rust/ember-py/src/inspect.rs:30")),
    pytest.param(lambda: ember.can_cast(None, ember.ones(2)), TypeError, "",
                 marks=pending("can_cast(None, tensor): unwrap at rust/ember-py/src/inspect.rs:30")),
    pytest.param(lambda: ember.promote_types(None, ember.ones(2)), TypeError, "",
                 marks=pending("promote_types(None, tensor): unwrap at rust/ember-py/src/inspect.rs:24")),
    # found by the fuzzer
    pytest.param(lambda: ember.ones(1, dtype=ember.int16).reshape(()).to_sparse().t(), None, "",
                 marks=pending("sparse t() of a 0-d sparse tensor: index out of bounds panic")),
    pytest.param(lambda: ember.tensordot(ember.ones(5, 4, 4, 3), ember.tensor(0), dims=(-1, -1)), (RuntimeError, IndexError),
                 "", marks=pending("tensordot: dims lists checked against a 0-d operand (index out of bounds panic)")),
    pytest.param(lambda: F.linear(ember.tensor(1).to_sparse(), ember.tensor(1, dtype=ember.int32).to_sparse()),
                 (RuntimeError, IndexError), "", marks=pending("linear / mm with 0-d sparse operands: index panic")),
    pytest.param(lambda: ember.nn.AdaptiveAvgPool2d(2**62)(ember.ones(0, 3, 3, 3)), RuntimeError, "",
                 marks=pending("adaptive_avg_pool2d: 'capacity overflow' panic on a huge output size")),
    pytest.param(lambda: ember.randperm(2**62), RuntimeError, "", marks=pending("randperm: 'capacity overflow' panic")),
    pytest.param(lambda: ember.promote_types(ember.float32, None), TypeError, "", marks=pending("promote_types(None)")),
])
def test_bad_arguments_raise_pytorch_exception_not_panic(fn, exc, match):
    e = outcome(fn)
    if exc is None:  # valid input: it must simply work
        assert e is None, repr(e)
        return
    assert isinstance(e, exc), repr(e)
    assert match in str(e)


@pending("scatter_add_ with a 0-d self and index and a higher-dim src: SIGSEGV (found by the fuzzer)")
def test_scatter_add_0d_self_with_big_src_does_not_crash():
    code, out, err = child("""
        import ember
        a = ember.tensor(1, dtype=ember.int16)
        try:
            a.scatter_add_(0, ember.tensor(0), ember.zeros(3, 0, 0, 5, dtype=ember.float16))
        except (RuntimeError, IndexError) as e:
            print("RAISED", e)
        print("alive", a.tolist())
    """)
    assert code == 0 and "alive 1" in out, err[-1500:]


# ---- 5. set_num_threads unbounded ----

@pending("set_num_threads: positive and bounded")
def test_set_num_threads_rejects_non_positive():
    for n in (0, -1):
        e = outcome(lambda: ember.set_num_threads(n))
        assert isinstance(e, RuntimeError) and "positive" in str(e)


@pending("set_num_threads: bounded pool size")
def test_set_num_threads_huge_does_not_stall_the_next_op():
    code, out, err = child("""
        import ember
        try:
            ember.set_num_threads(5000)
        except RuntimeError:
            pass
        print(float(ember.ones(1_000_000).sum()))
    """, timeout=20)
    assert code == 0 and "1000000.0" in out, err[-1500:]


# ---- 7. leaks ----

@pending("autograd: a leaf's hook that captures the leaf is collected (GC traversal of hooks)")
def test_leaf_hook_capturing_leaf_is_collected():
    import gc
    import weakref

    class Sentinel:
        pass

    s = Sentinel()
    ref = weakref.ref(s)
    x = ember.ones(3, requires_grad=True)
    x.register_hook(lambda g, x=x, s=s: g)
    del x, s
    gc.collect()
    assert ref() is None


@pending("reductions over expanded (stride-0) dims without materialising")
def test_sum_of_expanded_tensor_does_not_materialise():
    code, out, err = child("""
        import resource, ember
        vm = int([l.split()[1] for l in open("/proc/self/status") if l.startswith("VmSize")][0]) * 1024
        lim = vm + (512 << 20)  # far less than the 1 GiB an expanded copy needs
        resource.setrlimit(resource.RLIMIT_AS, (lim, lim))
        print(float(ember.ones(1).expand(2**28).sum()))
    """)
    assert code == 0 and str(float(2**28)) in out, err[-1500:]


# ---- 6. wgpu: index bounds checked (error flag read at the next synchronisation) ----

@requires_wgpu
@pytest.mark.parametrize("fn,exc", [
    pytest.param(lambda: ember.zeros(3).to("wgpu").gather(0, ember.tensor([5]).to("wgpu")).cpu(), (RuntimeError, IndexError),
                 marks=pending("wgpu gather: index bounds error flag")),
    pytest.param(lambda: ember.zeros(3).to("wgpu").scatter_add_(0, ember.tensor([7]).to("wgpu"),
                                                               ember.ones(1).to("wgpu")).cpu(), (RuntimeError, IndexError),
                 marks=pending("wgpu scatter_add_: index bounds error flag")),
    pytest.param(lambda: F.cross_entropy(ember.randn(2, 3).to("wgpu"), ember.tensor([0, 9]).to("wgpu")).cpu(),
                 (RuntimeError, IndexError), marks=pending("wgpu cross_entropy: target bounds error flag")),
])
def test_wgpu_out_of_range_indices_raise_like_cpu(fn, exc):
    assert isinstance(outcome(fn), exc)


@requires_wgpu
@pending("wgpu index_select: negative / out-of-range index handled as on the CPU")
def test_wgpu_index_select_negative_index_matches_cpu():
    x = ember.arange(6.0).reshape(3, 2)
    cpu = outcome(lambda: x.index_select(0, ember.tensor([-1])).tolist())
    got = outcome(lambda: x.to("wgpu").index_select(0, ember.tensor([-1]).to("wgpu")).cpu().tolist())
    if cpu is None:
        assert got is None and x.to("wgpu").index_select(0, ember.tensor([-1]).to("wgpu")).cpu().tolist() == \
            x.index_select(0, ember.tensor([-1])).tolist()
    else:
        assert type(got) is type(cpu)


@requires_wgpu
@pytest.mark.parametrize("src", [
    pytest.param("ember.empty(3, device='meta')", marks=pending("wgpu copy_ from a meta tensor: SIGSEGV (reads a null host pointer)")),
    pytest.param("ember.ones(3).to_sparse()", marks=pending("wgpu copy_ from a sparse COO tensor: SIGSEGV")),
])
def test_wgpu_copy_from_meta_or_sparse_raises(src):
    # found by the fuzzer as ember.asin(sparse, out=wgpu) and ember.less_equal(meta, 5, out=wgpu)
    code, out, err = child(f"""
        import ember
        dst = ember.zeros(3).to("wgpu")
        try:
            dst.copy_({src})
        except (RuntimeError, NotImplementedError) as e:
            print("RAISED", e)
        print("alive", dst.cpu().tolist())
    """)
    assert code == 0 and "RAISED" in out and "alive [0.0, 0.0, 0.0]" in out, err[-1500:]



# found by the fuzzer: ember.polygamma(2**32, x) and Tensor.polygamma(2**31 - 1) hang.
# zeta(s, q) in rust/ember-linalg/src/special.rs sums q^-s + (q+1)^-s + ... directly
# `while a < 10.0 || a < s`, leaving early only when the tail is below 1e-17·|sum|. For a huge
# order every term underflows to 0.0, so the sum stays 0, the relative test `0 < 1e-17·0` never
# holds, and the loop runs s times (4·10⁹ iterations for polygamma(2**32, ·), which calls
# zeta(n + 1, x)). Fix: return the sum once a term underflows to zero (a^-s only shrinks as a
# grows), or use the asymptotic tail at once when s is large. PyTorch returns ±inf/nan at once.
@pending("zeta/polygamma: zeta()'s direct sum in rust/ember-linalg/src/special.rs stops once its terms underflow")
def test_polygamma_and_zeta_of_a_huge_order_return_promptly():
    code, out, err = child("""
        import ember
        x = ember.tensor([1.5, 3.0], dtype=ember.float64)
        print(ember.polygamma(2**32, x).tolist())
        print(ember.special.zeta(ember.full((2,), 2.0**32, dtype=ember.float64), x).tolist())
    """, timeout=20)
    assert code == 0 and out.count("[") == 2, err[-1500:]

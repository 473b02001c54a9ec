"""A non-tensor where a tensor belongs raises TypeError with PyTorch's message
("add(): argument 'input' (position 1) must be Tensor, not str"), never an AttributeError
from deep inside ember's Python code (issue 19; ember/_argcheck.py)."""
import os
import pickle
import subprocess
import sys
import textwrap

import pytest

import ember
import ember.nn.functional as F
from ember import _argcheck

x = ember.ones(2, 2)


@pytest.mark.parametrize("call,match", [
    (lambda: ember.add("a", 1), r"^add\(\): argument 'input' \(position 1\) must be Tensor, not str$"),
    (lambda: F.relu(None), r"^relu\(\): argument 'input' \(position 1\) must be Tensor, not NoneType$"),
    (lambda: ember.binomial(5, 5), r"^binomial\(\): argument 'count' \(position 1\) must be Tensor, not int$"),
    (lambda: ember.is_complex(5), r"^is_complex\(\): argument 'input' \(position 1\) must be Tensor, not int$"),
    (lambda: F.poisson_nll_loss(5, 5), r"^poisson_nll_loss\(\): argument 'input' \(position 1\)"),
    (lambda: F.cross_entropy(x, 5), r"^cross_entropy\(\): argument 'target' \(position 2\) must be Tensor, not int$"),
    (lambda: F.conv2d(5, x), r"^conv2d\(\): argument 'input' \(position 1\) must be Tensor, not int$"),
    (lambda: F.layer_norm(5.0, (2,)), r"^layer_norm\(\): argument 'input' \(position 1\) must be Tensor, not float$"),
    (lambda: ember.expand_copy(5), r"^expand_copy\(\): argument 'input' \(position 1\)"),
    # a method numbers its arguments after self, and names itself, not the helper it called
    (lambda: x.lu_solve(5, 5), r"^lu_solve\(\): argument 'LU_data' \(position 1\) must be Tensor, not int$"),
    # a layer names its class
    (lambda: ember.nn.ZeroPad2d(1)(5), r"^ZeroPad2d\.forward\(\): argument 'input' \(position 1\)"),
    (lambda: ember.nn.AvgPool1d(2)(5), r"must be Tensor, not int$"),
    (lambda: ember.nn.LazyLinear(3)(5), r"^LazyLinear\.forward\(\): argument 'input' \(position 1\)"),  # size inference
    (lambda: ember.nn.Sequential(ember.nn.ZeroPad2d(1))(5), r"^Sequential\.forward\(\): argument 'input'"),
    (lambda: ember.finfo(object()), r"^finfo\(\): argument 'type' \(position 1\) must be ember.dtype, not object$"),
    (lambda: ember.iinfo(3), r"^iinfo\(\): argument 'type' \(position 1\) must be ember.dtype, not int$"),
])
def test_non_tensor_argument_is_a_type_error(call, match):
    with pytest.raises(TypeError, match=match):
        call()


def test_file_arguments_keep_pytorchs_attribute_error():
    # torch.save(x, 5) raises AttributeError about the file-like object too: not a tensor slot.
    with pytest.raises(AttributeError):
        ember.save(x, 5)


def test_ember_bug_on_an_omitted_argument_stays_an_attribute_error():
    def f(input, weight=None, *, out=None):
        return (out if out is not None else weight).shape  # weight omitted: ember's bug, not the caller's

    w = _argcheck._wrap(f)
    with pytest.raises(AttributeError):
        w(x)
    with pytest.raises(TypeError, match=r"^f\(\): argument 'weight' \(position 2\) must be Tensor, not int$"):
        w(x, 3)
    with pytest.raises(TypeError, match=r"^f\(\): argument 'weight' \(position 2\) must be Tensor, not int$"):
        w(x, weight=3)  # PyTorch gives the position of a positional parameter passed by keyword too
    with pytest.raises(TypeError, match=r"^f\(\): argument 'out' must be Tensor, not int$"):
        w(x, out=3)


def test_list_and_varargs_elements_are_named():
    def g(tensors, dim=0):
        return [t.shape for t in tensors]

    def h(equation, *operands):
        return [t.shape for t in operands]

    with pytest.raises(TypeError, match=r"^g\(\): expected Tensor as element 1 in argument 0, but got int$"):
        _argcheck._wrap(g)([x, 2])
    with pytest.raises(TypeError, match=r"^h\(\): expected Tensor as element 0 in argument 1, but got str$"):
        _argcheck._wrap(h)("ii", "a")


def test_wrapped_functions_keep_identity_signature_and_pickle():
    assert F.relu is sys.modules[F.relu.__module__].__dict__[F.relu.__name__]
    assert pickle.loads(pickle.dumps(F.relu)) is F.relu
    assert pickle.loads(pickle.dumps(ember.tensordot)) is ember.tensordot
    assert "input" in str(__import__("inspect").signature(F.relu))
    assert float(F.relu(ember.tensor(-1.0))) == 0.0


def test_no_public_function_lets_an_attribute_error_about_a_tensor_attribute_escape():
    """Every public function and Tensor method, given a plain object where its required
    arguments go, raises something other than an AttributeError on that object. (In a child
    process: a few setters would change process-wide state if they accepted the object.)"""
    code = textwrap.dedent("""
        import sys, warnings
        warnings.simplefilter("ignore")
        sys.path.insert(0, %r)
        import ember
        from fuzz import targets
        sentinel, escaped = object(), []
        for name, t in sorted(targets.collect(ember).items()):
            if t.kind == "module" or name in targets.STATEFUL:
                continue
            fn = getattr(ember.ones(2), t.attr) if t.kind == "method" else eval(t.qualname, {"ember": ember})
            try:
                fn(*[sentinel] * max(1, sum(k == "req" for _, k in t.params)))
            except AttributeError as e:
                if e.obj is sentinel and hasattr(ember.Tensor, e.name or ""):
                    escaped.append(f"{name}: {e}")
            except Exception:
                pass
        print("ESCAPED", escaped)
    """ % os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "ESCAPED []" in r.stdout, r.stdout[-3000:]


def test_layers_defined_outside_ember_keep_their_own_exceptions():
    class Mine(ember.nn.Module):
        def forward(self, x):
            return x.ndim

    with pytest.raises(AttributeError):
        Mine()(5)
    assert Mine()(x) == 2

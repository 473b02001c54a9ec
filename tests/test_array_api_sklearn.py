"""A scikit-learn estimator that supports the array API, fitted on ember tensors through
ember.array_api (the README's demonstration). Runs in a subprocess because SciPy's array API
mode must be switched on before SciPy is first imported."""
import os
import subprocess
import sys

SCRIPT = r"""
import numpy as np
import sklearn
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
import ember

ember.manual_seed(0)
X = ember.cat([ember.randn(40, 3) + 2, ember.randn(40, 3) - 2]).double()
y = ember.cat([ember.zeros(40, dtype=ember.int64), ember.ones(40, dtype=ember.int64)])
with sklearn.config_context(array_api_dispatch=True):
    lda = LinearDiscriminantAnalysis().fit(X, y)
    pred = lda.predict(X)
    coef = lda.coef_
assert isinstance(pred, ember.Tensor) and isinstance(coef, ember.Tensor), (type(pred), type(coef))
ref = LinearDiscriminantAnalysis().fit(X.numpy(), y.numpy())
np.testing.assert_allclose(coef.numpy(), ref.coef_, rtol=1e-8)
np.testing.assert_array_equal(pred.numpy(), ref.predict(X.numpy()))
print("ok")
"""


def test_lda_fits_on_ember_tensors():
    env = dict(os.environ, SCIPY_ARRAY_API="1")
    r = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.strip().endswith("ok"), r.stderr[-3000:]

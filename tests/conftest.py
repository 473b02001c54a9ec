import os
import sys

from hypothesis import HealthCheck, settings

sys.path.insert(0, os.path.dirname(__file__))

settings.register_profile("ci", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# ---- devices: tests taking the `device` fixture run once on the CPU and once on wgpu ----
import pytest  # noqa: E402

try:
    import ember as _ember

    WGPU = _ember.wgpu.is_available()
    WGPU_NAME = _ember.wgpu.get_device_name() if WGPU else None
except Exception:  # the binding failed to load: the tests themselves will say why
    WGPU, WGPU_NAME = False, None

NO_WGPU = "no Vulkan adapter for wgpu (install mesa-vulkan-drivers libvulkan1)"
requires_wgpu = pytest.mark.skipif(not WGPU, reason=NO_WGPU)
_wgpu_tally = {"ran": 0, "skipped": 0}


@pytest.fixture(params=["cpu", pytest.param("wgpu", marks=requires_wgpu)])
def device(request):
    return request.param


def _is_wgpu_test(report):
    return "[wgpu" in report.nodeid or "-wgpu" in report.nodeid or "test_wgpu.py" in report.nodeid


def pytest_runtest_logreport(report):
    if not _is_wgpu_test(report):
        return
    if report.skipped:
        _wgpu_tally["skipped"] += 1
    elif report.when == "call":
        _wgpu_tally["ran"] += 1


def pytest_terminal_summary(terminalreporter):
    ran, skipped = _wgpu_tally["ran"], _wgpu_tally["skipped"]
    if ran:
        terminalreporter.write_line(f"wgpu: {ran} tests ran on {WGPU_NAME}")
    if skipped:
        terminalreporter.write_line(f"wgpu: {skipped} tests skipped — {NO_WGPU}")


@pytest.fixture
def num_threads(request):
    """ember's thread count set to the test's parameter and restored afterwards:
    `@pytest.mark.parametrize("num_threads", [1, 2], indirect=True)`."""
    import ember

    old = ember.get_num_threads()
    ember.set_num_threads(request.param)
    yield request.param
    ember.set_num_threads(old)

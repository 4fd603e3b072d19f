# SPDX-License-Identifier: MIT
"""pytest setup for the introspection tests: build tree, kernel, fixtures."""

import os
import sys

import pytest

BUILD = os.environ.get(
    "WAITSCOPE_BUILD_DIR", os.path.join(os.path.dirname(__file__), "..", "..", "build")
)
BUILD = os.path.abspath(BUILD)
SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
# The staged package (with the C++ encoder) first, then the source tree.
for p in (os.path.join(SRC, "introspect"), os.path.join(BUILD, "share", "waitscope", "python")):
    if os.path.isdir(p) and p not in sys.path:
        sys.path.insert(0, p)
sys.path.insert(0, os.path.dirname(__file__))


def pytest_configure(config):
    config.addinivalue_line("markers", "host: fast tests without a VM")
    config.addinivalue_line("markers", "lab: tests that boot the lab VM")


def pytest_addoption(parser):
    parser.addoption("--kernel", default="6.1", help="lab kernel: 6.1 or 6.12")
    parser.addoption(
        "--workdir", default=None, help="where lab runs write (default: build/introspect-tests)"
    )


@pytest.fixture(scope="session")
def kernel(request):
    return request.config.getoption("--kernel")


@pytest.fixture(scope="session")
def workdir(request, kernel):
    d = request.config.getoption("--workdir") or os.path.join(BUILD, "introspect-tests", kernel)
    os.makedirs(d, exist_ok=True)
    return d


@pytest.fixture(scope="session")
def waitscope():
    exe = os.path.join(BUILD, "bin", "waitscope")
    if not os.access(exe, os.X_OK):
        pytest.fail(f"{exe} is not built")
    return exe

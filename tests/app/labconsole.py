# SPDX-License-Identifier: MIT
"""Shared by the app's lab tests: running a command and the lab guest's console."""
import re
import socket
import subprocess
import sys
import time


def run(cmd, **kw):
    """Run `cmd`, echo it, and stop the test with its output when it fails."""
    print("+", " ".join(cmd), flush=True)
    r = subprocess.run(cmd, text=True, capture_output=True, **kw)
    if r.returncode != 0:
        sys.stderr.write(r.stdout + r.stderr)
        raise SystemExit(f"failed ({r.returncode}): {' '.join(cmd)}")
    return r


class Console:
    """The guest's serial console (an interactive busybox shell)."""

    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(path)
        self.s.settimeout(0.5)
        self.buf = ""

    def send(self, line):
        self.s.sendall((line + "\n").encode())

    def expect(self, pattern, timeout=120):
        deadline = time.time() + timeout
        while time.time() < deadline:
            m = re.search(pattern, self.buf)
            if m:
                self.buf = self.buf[m.end() :]
                return m
            try:
                self.buf += self.s.recv(65536).decode(errors="replace")
            except socket.timeout:
                pass
        raise TimeoutError(f"console: no {pattern!r} in {self.buf[-500:]!r}")

# SPDX-License-Identifier: MIT
"""
waitscope_introspect: drgn walkers for the Linux kernel's wait/epoll
machinery, workqueues, kfifos and the vpoll/simrupt lab modules, producing
waitscope snapshots (docs/snapshot-schema.md).

Entry points: ``python -m waitscope_introspect`` (:func:`.cli.main`), and for
the C++ host :func:`.cli.main` with an argv list plus :class:`.session.Session`.
"""

__version__ = "0.1.0"

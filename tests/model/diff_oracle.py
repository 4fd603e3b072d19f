#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""An independent snapshot diff (plain Python, no waitscope code) for the golden diffs.

    tests/model/diff_oracle.py A.json B.json > golden.json

Prints {"added": [ids], "removed": [ids], "changed": [{"id", "fields"}]} as
``waitscope diff --format json`` does: ids in byte order, field names sorted,
a field changed when it was added, removed or has another value.
"""
import json
import sys

MISSING = object()


def objects(path):
    with open(path, encoding="utf-8") as f:
        return {o["id"]: o for o in json.load(f)["objects"]}


def diff(a, b):
    added = sorted(i for i in b if i not in a)
    removed = sorted(i for i in a if i not in b)
    changed = []
    for i in sorted(i for i in b if i in a):
        if a[i] == b[i]:
            continue
        keys = set(a[i]) | set(b[i])
        fields = sorted(k for k in keys if a[i].get(k, MISSING) != b[i].get(k, MISSING))
        changed.append({"id": i, "fields": fields})
    return {"added": added, "removed": removed, "changed": changed}


if __name__ == "__main__":
    print(json.dumps(diff(objects(sys.argv[1]), objects(sys.argv[2]))))

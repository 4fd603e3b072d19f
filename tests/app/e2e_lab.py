#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""End-to-end in the lab VM: a topology program stopped at its mark, the app attached
with --lab, then the same state's vmcore opened in the app; both must show the same
eventpoll with the same rbtree.

    e2e_lab.py WAITSCOPE OUT_DIR

1. `waitscope lab boot --name NAME`; on its console, start topo_basic with stdin on a
   FIFO nobody writes to, so it stays at its first WAITSCOPE_MARK ("setup");
2. read the eventpoll it announces (its WAITSCOPE_EXPECT line: pid, epfd);
3. `waitscope --screenshot lab.png --lab NAME` selects that pid's fd, expands it, reports;
4. `waitscope lab dump --name NAME core.vmcore`, the same script on the vmcore;
5. both REPORT lines: same eventpoll id, same rbtree node count, drawn; and the drgn
   console of the --lab run counted the guest's threads through `prog`.
"""
import json
import os
import re
import subprocess
import sys
import time

from labconsole import Console, run


def report(stdout):
    lines = [l for l in stdout.splitlines() if l.startswith("REPORT ")]
    assert lines, "no REPORT"
    return dict(kv.split("=", 1) for kv in lines[-1].split()[1:])


def app(waitscope, out, name, script, target):
    with open(os.path.join(out, name + ".txt"), "w") as f:
        f.write(script)
    cmd = [
        "xvfb-run",
        "-a",
        "-s",
        "-screen 0 1280x800x24",
        waitscope,
        "--size",
        "1280x800",
        "--screenshot",
        os.path.join(out, name + ".png"),
        "--script",
        os.path.join(out, name + ".txt"),
    ] + target
    r = run(cmd, timeout=600)
    sys.stderr.write(r.stderr)
    rep = report(r.stdout)
    print(name, rep, flush=True)
    return rep, [l for l in r.stdout.splitlines() if l.startswith("CONSOLE ")]


def main():
    waitscope, out = sys.argv[1:3]
    os.makedirs(out, exist_ok=True)
    name = f"e2e-app-{os.getpid()}"
    run([waitscope, "lab", "boot", "--name", name], timeout=300)
    try:
        status = run([waitscope, "lab", "status"]).stdout
        assert name in status, status
        runtime = os.environ.get("XDG_RUNTIME_DIR") or ("/run" if os.getuid() == 0 else None)
        state = (
            os.path.join(runtime, "waitscope", "lab", name)
            if runtime
            else f"/tmp/waitscope-{os.getuid()}/lab/{name}"
        )
        con = Console(os.path.join(state, "console.sock"))
        con.send("")
        con.send(
            "mkfifo /tmp/go; (sleep 100000 > /tmp/go &); "
            "topo_basic < /tmp/go > /tmp/tb.out 2>&1 &"
        )
        for _ in range(120):
            con.send("echo MARKS=$(grep -c '^WAITSCOPE_MARK' /tmp/tb.out)")
            m = con.expect(r"MARKS=(\d+)")
            if int(m.group(1)) >= 1:
                break
            time.sleep(1)
        else:
            raise TimeoutError("topo_basic never reached its mark")
        con.send('echo EXPECT=$(grep -m1 \'^WAITSCOPE_EXPECT {"kind":"epoll"\' /tmp/tb.out)')
        expect = json.loads(con.expect(r"EXPECT=WAITSCOPE_EXPECT (\{.*?\})\r?\n").group(1))
        pid, epfd = expect["pid"], expect["epfd"]
        script = f"select pid {pid} fd {epfd}\nexpand\nview inspector\nreport\n"

        live_script = script + "console print('threads', sum(1 for _ in prog.threads()))\n"
        live, console = app(waitscope, out, "lab", live_script, ["--lab", name])
        core = os.path.join(out, "mark.vmcore")
        if os.path.exists(core):
            os.remove(core)
        run([waitscope, "lab", "dump", "--name", name, core], timeout=300)
        dumped, _ = app(waitscope, out, "vmcore", script, [core])
    finally:
        subprocess.run([waitscope, "lab", "stop", "--name", name], capture_output=True)
    assert name not in run([waitscope, "lab", "status"]).stdout, "the lab VM is still running"

    # The drgn console ran against the lab VM's Program.
    m = re.match(r"CONSOLE threads (\d+)$", console[0] if console else "")
    assert m and int(m.group(1)) > 10, console
    for k in ("selection", "focus", "rbtree_nodes", "drawn_epitems", "ready_items"):
        assert live[k] == dumped[k], (k, live[k], dumped[k])
    assert live["scene"] == "eventpoll" and int(live["rbtree_nodes"]) == int(live["drawn_epitems"])
    assert int(live["rbtree_nodes"]) == expect.get("items", int(live["rbtree_nodes"]))
    print(
        f"ok: lab and vmcore show {live['focus']} with {live['rbtree_nodes']} rbtree nodes "
        f"(pid {pid} fd {epfd}); screenshots in {out}"
    )


if __name__ == "__main__":
    main()

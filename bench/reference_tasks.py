#!/usr/bin/env python3
"""The reference's task design, for bench `tasks` (stdlib only).

  reference_tasks.py JOURNAL TASKS CMD...

solstone's think/supervisor.py runs tasks this way: a per-command queue
under one lock, one thread per task, and in it think/runner.py's
ManagedProcess.spawn (a log writer that opens the day's log and repoints two
symlinks, Popen with text pipes, a thread per pipe writing formatted lines),
then wait, join, close, and the next queued task on a new thread. The real
module needs solstone's packages, so this is that path reduced to the
standard library, Callosum left out as on brainstem's side of the bench.
Submits TASKS tasks at once (task i runs CMD[i % len(CMD)] with argument i),
prints {"ms": elapsed} when every one has ended.
"""

import json
import os
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

JOURNAL = Path(sys.argv[1])
_last_ref = 0
_ref_lock = threading.Lock()


def new_ref():
    # The reference uses epoch ms and may repeat; the bench needs distinct log files.
    global _last_ref
    with _ref_lock:
        _last_ref = max(int(time.time() * 1000), _last_ref + 1)
        return str(_last_ref)


def atomic_symlink(link, target):
    tmp = link.with_name(link.name + ".tmp%d" % threading.get_ident())
    try:
        tmp.unlink()
    except FileNotFoundError:
        pass
    tmp.symlink_to(target)
    os.replace(tmp, link)


class DailyLogWriter:
    def __init__(self, ref, name):
        self.lock = threading.Lock()
        day = datetime.now().strftime("%Y%m%d")
        health = JOURNAL / day / "health"
        health.mkdir(parents=True, exist_ok=True)
        (JOURNAL / "health").mkdir(parents=True, exist_ok=True)
        filename = "%s_%s.log" % (ref, name)
        self.fh = (health / filename).open("a", encoding="utf-8")
        atomic_symlink(health / ("%s.log" % name), filename)
        atomic_symlink(JOURNAL / "health" / ("%s.log" % name), "../%s/health/%s" % (day, filename))

    def write(self, message):
        with self.lock:
            self.fh.write(message)
            self.fh.flush()

    def close(self):
        with self.lock:
            self.fh.close()


def run_managed(cmd, ref):
    name = Path(cmd[0]).name
    log = DailyLogWriter(ref, name)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, bufsize=1)

    def stream(pipe, label):
        with pipe:
            for line in pipe:
                stamp = datetime.now().strftime("%Y-%m-%dT%H:%M:%S")
                log.write("%s [%s:%s] %s\n" % (stamp, name, label, line.rstrip("\n")))

    threads = [threading.Thread(target=stream, args=(proc.stdout, "stdout"), daemon=True),
               threading.Thread(target=stream, args=(proc.stderr, "stderr"), daemon=True)]
    for thread in threads:
        thread.start()
    code = proc.wait()
    for thread in threads:
        thread.join(timeout=1)
    log.close()
    return code


state = {"running": {}, "queues": {}, "lock": threading.Lock()}
remaining = [0]
all_done = threading.Event()
failures = [0]


def command_name(cmd):
    return cmd[1] if cmd[0] == "sol" and len(cmd) > 1 else Path(cmd[0]).name


def handle_request(cmd, ref):
    name = command_name(cmd)
    with state["lock"]:
        if name in state["running"]:
            queue = state["queues"].setdefault(name, [])
            existing = next((entry for entry in queue if entry["cmd"] == cmd), None)
            if existing:
                existing["refs"].append(ref)
            else:
                queue.append({"refs": [ref], "cmd": cmd})
            return
        state["running"][name] = ref
    threading.Thread(target=run_task, args=([ref], cmd, name), daemon=True).start()


def run_task(refs, cmd, name):
    try:
        if run_managed(cmd, refs[0]) != 0:
            failures[0] += 1
    finally:
        with state["lock"]:
            remaining[0] -= len(refs)
            if remaining[0] == 0:
                all_done.set()
        process_queue(name)


def process_queue(name):
    with state["lock"]:
        queue = state["queues"].get(name, [])
        if queue:
            entry = queue.pop(0)
            state["running"][name] = entry["refs"][0]
        else:
            state["running"].pop(name, None)
            entry = None
    if entry:
        threading.Thread(target=run_task, args=(entry["refs"], entry["cmd"], name), daemon=True).start()


def main():
    tasks = int(sys.argv[2])
    commands = sys.argv[3:]
    remaining[0] = tasks
    started = time.perf_counter()
    for i in range(tasks):
        handle_request([commands[i % len(commands)], str(i)], new_ref())
    all_done.wait()
    elapsed = (time.perf_counter() - started) * 1000
    if failures[0]:
        sys.exit("reference tasks: %d runs failed" % failures[0])
    print(json.dumps({"ms": elapsed}))


if __name__ == "__main__":
    main()

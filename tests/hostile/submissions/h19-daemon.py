# ruff: noqa
# fmt: off
# hostile: background processes meant to outlive the run: a double-forked setsid daemon, a
#   `sleep` in a new session, and a process that waits for the run to end and then rewrites
#   the outputs (if it survived, revenue would become unreadable)
# base: reference
# insert: end
# %%
import os
import subprocess
import time

subprocess.Popen(["sleep", "1000"], start_new_session=True)
subprocess.Popen(["sh", "-c", "trap '' HUP TERM; sleep 1000"], start_new_session=True)
pid = os.fork()
if pid == 0:
    os.setsid()
    if os.fork() == 0:
        import signal

        for sig in (signal.SIGHUP, signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, signal.SIG_IGN)
        os.chdir("/work")
        time.sleep(4)
        with open("outputs/answers.json", "w") as f:
            f.write("rewritten by a daemon that outlived the run")
        while True:
            time.sleep(1)
    os._exit(0)
os.waitpid(pid, 0)
print("daemons started")

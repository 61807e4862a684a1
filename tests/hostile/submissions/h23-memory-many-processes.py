# ruff: noqa
# fmt: off
# hostile: memory spread over many processes, each under the per-process limit: four children
#   each take 500 MiB (2 GiB in all) and hold it; a later cell counts how many are still
#   alive and holding it, and how many the system killed
# base: release
# insert: after:load
# %%
import os
import signal
import time

for name in os.listdir("/tmp"):
    if name.startswith("held-"):
        os.remove(os.path.join("/tmp", name))
children = []
for i in range(4):
    pid = os.fork()
    if pid == 0:
        try:
            block = b"\x01" * (500 * 1024**2)
            open(f"/tmp/held-{i}", "w").close()
            time.sleep(60)
        finally:
            os._exit(0)
    children.append((i, pid))
print("children started")
# %%
time.sleep(3)
# %%
time.sleep(3)
# %%
holding, killed, other = 0, 0, []
for i, pid in children:
    done, status = os.waitpid(pid, os.WNOHANG)
    if done == 0 and os.path.exists(f"/tmp/held-{i}"):
        holding += 1
    elif done and os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL:
        killed += 1
    else:
        other.append((done, status, os.path.exists(f"/tmp/held-{i}")))
for i, pid in children:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
print("HELD_AT_ONCE", holding)
print("KILLED", killed)
print("STILL_STARTING", len(other), other)

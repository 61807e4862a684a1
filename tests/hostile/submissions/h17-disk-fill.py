# ruff: noqa
# fmt: off
# hostile: tries to fill the grading machine's disk from the work dir: 100 MB files until a
#   write fails, a 10 GB sparse file, /tmp and /dev/shm filled, then hundreds of thousands
#   of empty files; reports how much it managed to write
# base: reference
# insert: end
# %%
import os
import time

written = 0
chunk = b"\0" * 2**20
started = time.monotonic()
try:
    for n in range(10_000):
        with open(f"fill-{n}.bin", "wb") as f:
            for _ in range(100):
                f.write(chunk)
                written += len(chunk)
        if time.monotonic() - started > 3:
            break
except OSError as e:
    print("write stopped:", type(e).__name__, e.errno)
print("DISK_BYTES_WRITTEN", written)
try:
    with open("sparse.bin", "wb") as f:
        f.seek(10 * 2**30)
        f.write(b"x")
    print("SPARSE_OK")
except OSError as e:
    print("sparse refused:", type(e).__name__, e.errno)
for n in range(10_000):
    os.remove(f"fill-{n}.bin") if os.path.exists(f"fill-{n}.bin") else None
# %%
# The sandbox's own /tmp and /dev/shm are small RAM file systems of their own.
for folder in ("/tmp", "/dev/shm"):
    stored = 0
    try:
        with open(f"{folder}/fill.bin", "wb") as f:
            for _ in range(2048):
                f.write(chunk)
                stored += len(chunk)
    except OSError as e:
        print(folder, "stopped:", type(e).__name__, e.errno)
    os.remove(f"{folder}/fill.bin")
    print(f"{folder.upper().strip('/').replace('/', '_')}_BYTES_WRITTEN", stored)
# %%
import os

made = 0
os.makedirs("many", exist_ok=True)
try:
    for n in range(1_000_000):
        open(f"many/{n}", "w").close()
        made += 1
except OSError as e:
    print("file creation stopped:", type(e).__name__, e.errno)
print("FILES_CREATED", made)

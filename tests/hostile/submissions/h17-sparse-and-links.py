# ruff: noqa
# fmt: off
# hostile: makes the grader multiply its work dir: eight 500 MB sparse files (a size, no data)
#   and a 50 MB file hard-linked 100 times (one file, 100 names); a copy that went by sizes or
#   by names would write 9 GB to the grading machine's disk
# base: reference
# insert: end
# %%
import os

for n in range(8):
    with open(f"sparse-{n}.bin", "wb") as f:
        f.seek(500 * 1024**2)
        f.write(b"x")
with open("big.bin", "wb") as f:
    f.write(b"\1" * (50 * 1024**2))
for n in range(100):
    os.link("big.bin", f"link-{n}.bin")
print("sparse files and links made")

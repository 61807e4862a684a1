# ruff: noqa
# fmt: off
# hostile: a folder tree thousands of levels deep (and too deep for PATH_MAX), with files whose
#   names are not UTF-8 and a folder without permissions at the bottom, left for the grader
#   to delete
# base: reference
# insert: end
# %%
import os

top = os.getcwd()
os.mkdir("deep")
os.chdir("deep")
for _ in range(3000):
    os.mkdir("d" * 50)
    os.chdir("d" * 50)
with open(b"\xff\xfe-not-utf8", "wb") as f:
    f.write(b"x")
os.mkdir("locked")
os.chmod("locked", 0)
os.chmod(".", 0o500)
os.chdir(top)
print("deep tree made")

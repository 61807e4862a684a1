# ruff: noqa
# fmt: off
# hostile: the outputs folder itself is a symbolic link to the file system root (so that
#   outputs/... reaches the host), and the private folder of the runner is replaced by links
# base: release
# insert: after:load
# %%
import os
import shutil

shutil.rmtree("outputs")
os.symlink("/", "outputs")
shutil.rmtree(".datalit", ignore_errors=True)
os.symlink("/etc", ".datalit")
print("outputs now points at", os.readlink("outputs"))

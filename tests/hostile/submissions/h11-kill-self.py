# ruff: noqa
# fmt: off
# hostile: `os.kill(os.getpid(), 9)` in the middle of the notebook
# base: reference
# insert: before:revenue
# %%
import os

os.kill(os.getpid(), 9)

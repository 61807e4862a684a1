# ruff: noqa
# fmt: off
# hostile: `while True: pass` in one cell, after the cleaned table and the flags were written
# base: reference
# insert: before:revenue
# %%
while True:
    pass

# ruff: noqa
# fmt: off
# hostile: (baseline of h02) the reference with a cell that raises before the flags are written
# base: reference
# insert: before:flags
# %%
raise RuntimeError("this cell fails")

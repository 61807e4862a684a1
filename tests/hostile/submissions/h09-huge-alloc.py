# ruff: noqa
# fmt: off
# hostile: `bytearray(10**11)`, a 100 GB allocation
# base: reference
# insert: before:revenue
# %%
hog = bytearray(10**11)

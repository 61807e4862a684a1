# ruff: noqa
# fmt: off
# hostile: `print('x' * 10**9)`
# base: reference
# insert: before:revenue
# %%
print("x" * 10**9)

# ruff: noqa
# fmt: off
# hostile: floods the output: 100 MB printed in 1 MB lines (completes), then
#   `while True: print(1)` (never ends)
# base: reference
# insert: before:revenue
# %%
line = "y" * 10**6
for _ in range(100):
    print(line)
# %%
while True:
    print(1)

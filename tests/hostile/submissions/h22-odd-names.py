# ruff: noqa
# fmt: off
# hostile: files whose names are not UTF-8, hold newlines, ANSI escapes, HTML or bidi overrides,
#   a look-alike of the declared output (Cyrillic "с"), and a 255-byte name, next to correct
#   outputs
# base: reference
# insert: end
# %%
import os

names = [
    b"\xff\xfe\xfd.csv",
    b"latin1-\xe9t\xe9.csv",
    "new\nline.csv".encode(),
    "\x1b[31mred\x1b[0m.csv".encode(),
    "<script>alert(1)<\\script>.csv".encode(),
    "\u202egnp.csv".encode(),
    "orders_\u0441lean.csv".encode(),
    b"n" * 255,
]
for name in names:
    with open(os.path.join(b"outputs", name), "wb") as f:
        f.write(b"order_id\n1\n")
print("odd names written:", len(os.listdir(b"outputs")))

# ruff: noqa
# fmt: off
# hostile: hides errors: showtraceback replaced, a custom exception handler swallowing
#   everything, sys.excepthook replaced, then the same failing cell as b02-error-shown
# base: reference
# insert: before:flags
# %%
import sys

ip = get_ipython()
ip.showtraceback = lambda *args, **kwargs: None
ip._showtraceback = lambda *args, **kwargs: None
ip.showsyntaxerror = lambda *args, **kwargs: None
ip.set_custom_exc((BaseException,), lambda shell, etype, value, tb, tb_offset=None: None)
sys.excepthook = lambda *args: None
print("errors hidden")
# %%
raise RuntimeError("this cell fails")

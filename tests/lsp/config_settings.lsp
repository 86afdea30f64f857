# Editor settings beyond select/ignore: extend-ignore, per-file-ignores
# (absolute, whatever select says), keys in camelCase, an unknown key (only
# logged at debug level), and an invalid value (the last good settings stay).
{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{},"initializationOptions":{"margin":{"select":["E722","E999"],"extendIgnore":["E999"],"editorOnlyKey":true}}}}
---
{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"file:///nonexistent/cfg/a.py","languageId":"python","version":1,"text":"try:\n    pass\nexcept:\n    pass\ndef f(:\n"}}}
---
# per-file-ignores: a pattern without '/' matches the file's name.
{"jsonrpc":"2.0","method":"workspace/didChangeConfiguration","params":{"settings":{"margin":{"select":["E"],"per-file-ignores":{"*.py":["E7"]}}}}}
---
# Invalid: reported, and E999 alone is still reported.
{"jsonrpc":"2.0","method":"workspace/didChangeConfiguration","params":{"settings":{"margin":{"select":["E722"],"docstring-style":"klingon"}}}}
---
{"jsonrpc":"2.0","id":2,"method":"shutdown"}
---
{"jsonrpc":"2.0","method":"exit"}

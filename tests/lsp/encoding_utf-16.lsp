# Position encoding utf-16: offered ["utf-16"]. The error sits after a 2-unit
# emoji (a surrogate pair in UTF-16, 4 bytes in UTF-8, 1 code point in UTF-32),
# and deleting " + (" addressed in utf-16 units lands where the client meant.
{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"initializationOptions":{"select":["E999"]},"capabilities":{"general":{"positionEncodings":["utf-16"]}}}}
---
{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"file:///a.py","languageId":"python","version":1,"text":"s = '😀é' + (\n"}}}
---
{"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":{"uri":"file:///a.py","version":2},"contentChanges":[{"range":{"start":{"line":0,"character":9},"end":{"line":0,"character":13}},"text":""}]}}
---
{"jsonrpc":"2.0","id":50,"method":"margin/dumpDocument","params":{"textDocument":{"uri":"file:///a.py"}}}
---
{"jsonrpc":"2.0","id":99,"method":"shutdown"}
---
{"jsonrpc":"2.0","method":"exit"}

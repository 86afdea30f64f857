# Incremental edits: several changes in one notification applied in order,
# a full-text change, and diagnostics that follow the text.
{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"processId":null,"rootUri":null,"initializationOptions":{"select":["E999"]},"capabilities":{"textDocument":{"publishDiagnostics":{"relatedInformation":true},"documentSymbol":{"hierarchicalDocumentSymbolSupport":true}}}}}
---
{"jsonrpc":"2.0","method":"initialized","params":{}}
---
{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"file:///a.py","languageId":"python","version":1,"text":"def f(x):\n    return x\n"}}}
---
# break it: delete the ':' after the signature
{"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":{"uri":"file:///a.py","version":2},"contentChanges":[{"range":{"start":{"line":0,"character":8},"end":{"line":0,"character":9}},"text":""}]}}
---
# mend it and rename in one notification: the second change sees the first
{"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":{"uri":"file:///a.py","version":3},"contentChanges":[{"range":{"start":{"line":0,"character":8},"end":{"line":0,"character":8}},"text":":"},{"range":{"start":{"line":0,"character":4},"end":{"line":0,"character":5}},"text":"double"},{"range":{"start":{"line":1,"character":12},"end":{"line":1,"character":12}},"text":" * 2"}]}}
---
{"jsonrpc":"2.0","id":50,"method":"margin/dumpDocument","params":{"textDocument":{"uri":"file:///a.py"}}}
---
# a full replacement
{"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":{"uri":"file:///a.py","version":4},"contentChanges":[{"text":"class C:\n    pass\n"}]}}
---
{"jsonrpc":"2.0","id":50,"method":"margin/dumpDocument","params":{"textDocument":{"uri":"file:///a.py"}}}
---
{"jsonrpc":"2.0","id":99,"method":"shutdown"}
---
{"jsonrpc":"2.0","method":"exit"}

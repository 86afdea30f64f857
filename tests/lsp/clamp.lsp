# Positions past the end of a line mean its end; past the last line, the end
# of the text (the LSP rule). CRLF and lone CR line endings.
{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"processId":null,"rootUri":null,"initializationOptions":{"select":["E999"]},"capabilities":{"textDocument":{"publishDiagnostics":{"relatedInformation":true},"documentSymbol":{"hierarchicalDocumentSymbolSupport":true}}}}}
---
{"jsonrpc":"2.0","method":"initialized","params":{}}
---
{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"file:///a.py","languageId":"python","version":1,"text":"a = 1\r\nb = 2\rc = 3\n"}}}
---
{"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":{"uri":"file:///a.py","version":2},"contentChanges":[{"range":{"start":{"line":0,"character":99},"end":{"line":0,"character":99}},"text":"0"}]}}
---
{"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":{"uri":"file:///a.py","version":3},"contentChanges":[{"range":{"start":{"line":1,"character":5},"end":{"line":1,"character":5}},"text":"00"}]}}
---
{"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":{"uri":"file:///a.py","version":4},"contentChanges":[{"range":{"start":{"line":40,"character":0},"end":{"line":41,"character":3}},"text":"d = 4\n"}]}}
---
{"jsonrpc":"2.0","id":50,"method":"margin/dumpDocument","params":{"textDocument":{"uri":"file:///a.py"}}}
---
{"jsonrpc":"2.0","id":99,"method":"shutdown"}
---
{"jsonrpc":"2.0","method":"exit"}

# Code actions come from the diagnostics' data; data made for an older
# version of the document gives no action, and so does another source's.
{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"processId":null,"rootUri":null,"capabilities":{"textDocument":{"publishDiagnostics":{"relatedInformation":true},"documentSymbol":{"hierarchicalDocumentSymbolSupport":true}}}}}
---
{"jsonrpc":"2.0","method":"initialized","params":{}}
---
{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"file:///a.py","languageId":"python","version":3,"text":"x = 1\n"}}}
---
{"jsonrpc":"2.0","id":2,"method":"textDocument/codeAction","params":{"textDocument":{"uri":"file:///a.py"},"range":{"start":{"line":0,"character":0},"end":{"line":0,"character":1}},"context":{"diagnostics":[{"range":{"start":{"line":0,"character":0},"end":{"line":0,"character":1}},"message":"m","source":"margin","code":"E999","data":{"version":2,"fixes":[{"title":"old","safe":true,"edits":[]}]}},{"range":{"start":{"line":0,"character":0},"end":{"line":0,"character":1}},"message":"m","source":"other","code":"X1","data":{"version":3,"fixes":[{"title":"theirs","safe":true,"edits":[]}]}}]}}}
---
{"jsonrpc":"2.0","id":3,"method":"textDocument/codeAction","params":{"textDocument":{"uri":"file:///a.py"},"range":{"start":{"line":0,"character":0},"end":{"line":0,"character":1}},"context":{"diagnostics":[{"range":{"start":{"line":0,"character":0},"end":{"line":0,"character":1}},"message":"m","source":"margin","code":"E999","data":{"version":3,"fixes":[{"title":"Insert ':'","safe":false,"edits":[{"range":{"start":{"line":0,"character":5},"end":{"line":0,"character":5}},"newText":":"}]}]}}],"only":["quickfix"]}}}
---
{"jsonrpc":"2.0","id":4,"method":"textDocument/codeAction","params":{"textDocument":{"uri":"file:///a.py"},"range":{"start":{"line":0,"character":0},"end":{"line":0,"character":1}},"context":{"diagnostics":[],"only":["source.fixAll"]}}}
---
{"jsonrpc":"2.0","id":99,"method":"shutdown"}
---
{"jsonrpc":"2.0","method":"exit"}

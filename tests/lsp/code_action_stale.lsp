# Code actions come from the findings the diagnostics' data names (version
# and index), checked against the code; data made for an older version,
# another source's, a wrong code or an unknown index give no action.
{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"processId":null,"rootUri":null,"initializationOptions":{"select":["E999"]},"capabilities":{"textDocument":{"publishDiagnostics":{"relatedInformation":true},"documentSymbol":{"hierarchicalDocumentSymbolSupport":true}}}}}
---
{"jsonrpc":"2.0","method":"initialized","params":{}}
---
{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"file:///a.py","languageId":"python","version":3,"text":"def f()\n    pass\n"}}}
---
# stale version
{"jsonrpc":"2.0","id":2,"method":"textDocument/codeAction","params":{"textDocument":{"uri":"file:///a.py"},"range":{"start":{"line":0,"character":7},"end":{"line":0,"character":7}},"context":{"diagnostics":[{"range":{"start":{"line":0,"character":7},"end":{"line":0,"character":7}},"message":"expected ':'","source":"margin","code":"E999","data":{"id":0,"version":2}}]}}}
---
# another source
{"jsonrpc":"2.0","id":3,"method":"textDocument/codeAction","params":{"textDocument":{"uri":"file:///a.py"},"range":{"start":{"line":0,"character":7},"end":{"line":0,"character":7}},"context":{"diagnostics":[{"range":{"start":{"line":0,"character":7},"end":{"line":0,"character":7}},"message":"expected ':'","source":"other","code":"E999","data":{"id":0,"version":3}}]}}}
---
# the real one: Insert ':'
{"jsonrpc":"2.0","id":4,"method":"textDocument/codeAction","params":{"textDocument":{"uri":"file:///a.py"},"range":{"start":{"line":0,"character":7},"end":{"line":0,"character":7}},"context":{"diagnostics":[{"range":{"start":{"line":0,"character":7},"end":{"line":0,"character":7}},"message":"expected ':'","source":"margin","code":"E999","data":{"id":0,"version":3}}],"only":["quickfix"]}}}
---
# index and code disagree
{"jsonrpc":"2.0","id":5,"method":"textDocument/codeAction","params":{"textDocument":{"uri":"file:///a.py"},"range":{"start":{"line":0,"character":7},"end":{"line":0,"character":7}},"context":{"diagnostics":[{"range":{"start":{"line":0,"character":7},"end":{"line":0,"character":7}},"message":"expected ':'","source":"margin","code":"F401","data":{"id":0,"version":3}}]}}}
---
# unknown index
{"jsonrpc":"2.0","id":6,"method":"textDocument/codeAction","params":{"textDocument":{"uri":"file:///a.py"},"range":{"start":{"line":0,"character":7},"end":{"line":0,"character":7}},"context":{"diagnostics":[{"range":{"start":{"line":0,"character":7},"end":{"line":0,"character":7}},"message":"expected ':'","source":"margin","code":"E999","data":{"id":99,"version":3}}]}}}
---
# no safe fix: fix-all has nothing; no 'only': no fix-all either
{"jsonrpc":"2.0","id":7,"method":"textDocument/codeAction","params":{"textDocument":{"uri":"file:///a.py"},"range":{"start":{"line":0,"character":7},"end":{"line":0,"character":7}},"context":{"diagnostics":[],"only":["source.fixAll"]}}}
---
{"jsonrpc":"2.0","id":8,"method":"textDocument/codeAction","params":{"textDocument":{"uri":"file:///a.py"},"range":{"start":{"line":0,"character":7},"end":{"line":0,"character":7}},"context":{"diagnostics":[]}}}
---
{"jsonrpc":"2.0","id":99,"method":"shutdown"}
---
{"jsonrpc":"2.0","method":"exit"}

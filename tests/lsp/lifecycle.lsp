# The whole lifecycle: initialize, open a file with a syntax error, get its
# diagnostics, ask for code actions and the outline, shut down, exit 0.
{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"processId":null,"rootUri":null,"initializationOptions":{"select":["E999"]},"capabilities":{"textDocument":{"publishDiagnostics":{"relatedInformation":true},"documentSymbol":{"hierarchicalDocumentSymbolSupport":true}}}}}
---
{"jsonrpc":"2.0","method":"initialized","params":{}}
---
{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"file:///w/app.py","languageId":"python","version":1,"text":"import os\n\nclass Store:\n    def get(self, key):\n        return key\n\n    @property\n    def size(self) -> int:\n        return 0\n\ndef main(:\n    pass\n"}}}
---
{"jsonrpc":"2.0","id":2,"method":"textDocument/documentSymbol","params":{"textDocument":{"uri":"file:///w/app.py"}}}
---
{"jsonrpc":"2.0","id":3,"method":"textDocument/codeAction","params":{"textDocument":{"uri":"file:///w/app.py"},"range":{"start":{"line":10,"character":9},"end":{"line":10,"character":9}},"context":{"diagnostics":[{"code":"E999","codeDescription":{"href":"x"},"data":{"id":0,"version":1},"message":"expected ')'","range":{"end":{"character":9,"line":10},"start":{"character":9,"line":10}},"severity":1,"source":"margin"}]}}}
---
# the client applies the quick-fix it chose; the diagnostic goes away
{"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":{"uri":"file:///w/app.py","version":2},"contentChanges":[{"range":{"start":{"line":10,"character":9},"end":{"line":10,"character":9}},"text":")"}]}}
---
# the same diagnostic sent back now is stale: no action
{"jsonrpc":"2.0","id":4,"method":"textDocument/codeAction","params":{"textDocument":{"uri":"file:///w/app.py"},"range":{"start":{"line":10,"character":9},"end":{"line":10,"character":9}},"context":{"diagnostics":[{"code":"E999","codeDescription":{"href":"x"},"data":{"id":0,"version":1},"message":"expected ')'","range":{"end":{"character":9,"line":10},"start":{"character":9,"line":10}},"severity":1,"source":"margin"}]}}}
---
# nothing safe to fix: fix-all offers nothing
{"jsonrpc":"2.0","id":5,"method":"textDocument/codeAction","params":{"textDocument":{"uri":"file:///w/app.py"},"range":{"start":{"line":0,"character":0},"end":{"line":0,"character":0}},"context":{"diagnostics":[],"only":["source.fixAll.margin"]}}}
---
{"jsonrpc":"2.0","method":"textDocument/didClose","params":{"textDocument":{"uri":"file:///w/app.py"}}}
---
{"jsonrpc":"2.0","id":99,"method":"shutdown"}
---
{"jsonrpc":"2.0","method":"exit"}

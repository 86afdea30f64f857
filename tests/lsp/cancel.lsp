# A request still waiting for analysis can be cancelled: -32800. Cancelling
# an answered or unknown request does nothing.
{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"processId":null,"rootUri":null,"initializationOptions":{"select":["E999"]},"capabilities":{"textDocument":{"publishDiagnostics":{"relatedInformation":true},"documentSymbol":{"hierarchicalDocumentSymbolSupport":true}}}}}
---
{"jsonrpc":"2.0","method":"initialized","params":{}}
---
{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"file:///a.py","languageId":"python","version":1,"text":"def f():\n    return 1\n"}}}
#! noflush
---
{"jsonrpc":"2.0","id":2,"method":"textDocument/documentSymbol","params":{"textDocument":{"uri":"file:///a.py"}}}
#! noflush
---
{"jsonrpc":"2.0","id":3,"method":"textDocument/documentSymbol","params":{"textDocument":{"uri":"file:///a.py"}}}
#! noflush
---
{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":2}}
---
{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":3}}
---
{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":"never-sent"}}
---
{"jsonrpc":"2.0","id":99,"method":"shutdown"}
---
{"jsonrpc":"2.0","method":"exit"}

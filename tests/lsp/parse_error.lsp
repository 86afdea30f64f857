# A body that is not JSON gets -32700 with id null; the server keeps serving.
{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"processId":null,"rootUri":null,"initializationOptions":{"select":["E999"]},"capabilities":{"textDocument":{"publishDiagnostics":{"relatedInformation":true},"documentSymbol":{"hierarchicalDocumentSymbolSupport":true}}}}}
---
{"jsonrpc":"2.0","method":"initialized","params":{}}
---
{"jsonrpc":"2.0","id":2,"method":"shutdown"
---
{"jsonrpc": "2.0", "id": 3, "method": "textDocument/documentSymbol", "params": {"textDocument": {"uri": "file:///nope.py"}}}
---
{"jsonrpc":"2.0","id":99,"method":"shutdown"}
---
{"jsonrpc":"2.0","method":"exit"}

# Unknown requests get -32601; unknown notifications are ignored.
{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"processId":null,"rootUri":null,"initializationOptions":{"select":["E999"]},"capabilities":{"textDocument":{"publishDiagnostics":{"relatedInformation":true},"documentSymbol":{"hierarchicalDocumentSymbolSupport":true}}}}}
---
{"jsonrpc":"2.0","method":"initialized","params":{}}
---
{"jsonrpc":"2.0","id":2,"method":"textDocument/completion","params":{}}
---
{"jsonrpc":"2.0","method":"textDocument/somethingNew","params":{}}
---
{"jsonrpc":"2.0","method":"$/setTrace","params":{"value":"off"}}
---
{"jsonrpc":"2.0","id":3,"method":"$/somethingElse","params":{}}
---
{"jsonrpc":"2.0","id":99,"method":"shutdown"}
---
{"jsonrpc":"2.0","method":"exit"}

# Messages that are JSON but not JSON-RPC requests get -32600.
{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"processId":null,"rootUri":null,"initializationOptions":{"select":["E999"]},"capabilities":{"textDocument":{"publishDiagnostics":{"relatedInformation":true},"documentSymbol":{"hierarchicalDocumentSymbolSupport":true}}}}}
---
{"jsonrpc":"2.0","method":"initialized","params":{}}
---
[1, 2, 3]
---
"just a string"
---
{"jsonrpc":"2.0","id":2}
---
{"jsonrpc":"1.0","id":3,"method":"shutdown"}
---
{"jsonrpc":"2.0","id":4,"method":42}
---
{"jsonrpc":"2.0","id":{"a":1},"method":"shutdown"}
---
{"jsonrpc":"2.0","id":5,"method":"textDocument/documentSymbol","params":"text"}
---
# a response to a request the server never made is ignored
{"jsonrpc":"2.0","id":77,"result":null}
---
{"jsonrpc":"2.0","id":99,"method":"shutdown"}
---
{"jsonrpc":"2.0","method":"exit"}

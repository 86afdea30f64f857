# Requests before initialize get -32002; notifications are dropped; then
# initialize works, and a second initialize is refused.
{"jsonrpc":"2.0","id":1,"method":"textDocument/documentSymbol","params":{"textDocument":{"uri":"file:///a.py"}}}
---
{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"file:///a.py","languageId":"python","version":1,"text":"def f(:\n"}}}
---
{"jsonrpc":"2.0","id":2,"method":"shutdown"}
---
{"jsonrpc":"2.0","id":3,"method":"initialize","params":{"initializationOptions":{"select":["E999"]},"capabilities":{}}}
---
{"jsonrpc":"2.0","id":4,"method":"initialize","params":{"initializationOptions":{"select":["E999"]},"capabilities":{}}}
---
# the didOpen before initialize was dropped: the document is not open
{"jsonrpc":"2.0","id":5,"method":"textDocument/documentSymbol","params":{"textDocument":{"uri":"file:///a.py"}}}
---
{"jsonrpc":"2.0","id":6,"method":"shutdown"}
---
{"jsonrpc":"2.0","method":"exit"}

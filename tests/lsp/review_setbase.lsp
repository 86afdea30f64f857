# margin.review.setBase (workspace/executeCommand): refused arguments, a
# base on a document outside any git repository (one warning, every
# finding shown), clearing the base, and the status with no argument.
{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{},"initializationOptions":{"select":["E722"]}}}
---
{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"file:///nonexistent/rv/a.py","languageId":"python","version":1,"text":"try:\n    pass\nexcept:\n    pass\n"}}}
---
{"jsonrpc":"2.0","id":2,"method":"workspace/executeCommand","params":{"command":"margin.review.setBase","arguments":[3]}}
---
{"jsonrpc":"2.0","id":3,"method":"workspace/executeCommand","params":{"command":"margin.review.setBase","arguments":["--output=/tmp/x"]}}
---
{"jsonrpc":"2.0","id":4,"method":"workspace/executeCommand","params":{"command":"margin.frobnicate"}}
---
{"jsonrpc":"2.0","id":5,"method":"workspace/executeCommand","params":{"command":"margin.review.setBase","arguments":["main"]}}
---
{"jsonrpc":"2.0","id":6,"method":"workspace/executeCommand","params":{"command":"margin.review.setBase","arguments":[""]}}
---
{"jsonrpc":"2.0","id":7,"method":"workspace/executeCommand","params":{"command":"margin.review.setBase","arguments":[]}}
---
{"jsonrpc":"2.0","id":8,"method":"workspace/executeCommand","params":{"command":"margin.review.setBase","arguments":[null]}}
---
{"jsonrpc":"2.0","id":9,"method":"shutdown"}
---
{"jsonrpc":"2.0","method":"exit"}

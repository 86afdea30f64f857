# Pull diagnostics after edits: "unchanged" when the client would see the
# same findings at the same places (an edit in a line without findings),
# "full" when a finding moved (a line inserted above it) or went away.
{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"processId":null,"rootUri":null,"initializationOptions":{"select":["F401"]},"capabilities":{"textDocument":{"diagnostic":{"dynamicRegistration":false}},"workspace":{"diagnostics":{"refreshSupport":true}}}}}
---
{"jsonrpc":"2.0","method":"initialized","params":{}}
---
{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"file:///a.py","languageId":"python","version":1,"text":"import os\n\n\ndef f(x):\n    y = 1\n    return x + y\n"}}}
---
{"jsonrpc":"2.0","id":2,"method":"textDocument/diagnostic","params":{"textDocument":{"uri":"file:///a.py"}}}
---
# an edit in a line without findings
{"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":{"uri":"file:///a.py","version":2},"contentChanges":[{"range":{"start":{"line":4,"character":9},"end":{"line":4,"character":9}},"text":"2"}]}}
---
{"jsonrpc":"2.0","id":3,"method":"textDocument/diagnostic","params":{"textDocument":{"uri":"file:///a.py"},"previousResultId":"1"}}
---
# a line inserted above the finding: it moves
{"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":{"uri":"file:///a.py","version":3},"contentChanges":[{"range":{"start":{"line":0,"character":0},"end":{"line":0,"character":0}},"text":"# c\n"}]}}
---
{"jsonrpc":"2.0","id":4,"method":"textDocument/diagnostic","params":{"textDocument":{"uri":"file:///a.py"},"previousResultId":"1"}}
---
# os used: the finding goes
{"jsonrpc":"2.0","method":"textDocument/didChange","params":{"textDocument":{"uri":"file:///a.py","version":4},"contentChanges":[{"range":{"start":{"line":6,"character":11},"end":{"line":6,"character":12}},"text":"os"}]}}
---
{"jsonrpc":"2.0","id":5,"method":"textDocument/diagnostic","params":{"textDocument":{"uri":"file:///a.py"},"previousResultId":"2"}}
---
{"jsonrpc":"2.0","id":99,"method":"shutdown"}
---
{"jsonrpc":"2.0","method":"exit"}

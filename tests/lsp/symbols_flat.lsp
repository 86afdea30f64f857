# A client without hierarchical symbol support gets SymbolInformation with
# container names; definitions inside if/try blocks and decorated ones count.
{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"initializationOptions":{"select":["E999"]},"capabilities":{}}}
---
{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"file:///a.py","languageId":"python","version":1,"text":"import sys\nif sys.version_info >= (3, 11):\n    def new(): pass\nelse:\n    def old(): pass\n\n@dataclass\nclass Point:\n    x: int = 0\n\n    class Meta:\n        def label(cls): pass\n\n    @staticmethod\n    def origin() -> 'Point':\n        def inner(): pass\n        return Point()\n"}}}
---
{"jsonrpc":"2.0","id":2,"method":"textDocument/documentSymbol","params":{"textDocument":{"uri":"file:///a.py"}}}
---
{"jsonrpc":"2.0","id":5,"method":"shutdown"}
---
{"jsonrpc":"2.0","method":"exit"}

# Hover shows what may escape a function or a call through the project's
# code, with one path each; a handler for a base class (LookupError) stops
# NotFound(KeyError).
{"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"initializationOptions": {"select": ["E999"]}, "capabilities": {}}}
---
{"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {"uri": "file:///w/store.py", "languageId": "python", "version": 1, "text": "class NotFound(KeyError):\n    \"\"\"Nothing there.\"\"\"\n\n\ndef _get(store, key):\n    if key not in store:\n        raise NotFound(key)\n    return store[key]\n\n\ndef load(store, key):\n    \"\"\"Load a value.\n\n    Args:\n        store: Where.\n        key: What.\n    \"\"\"\n    return _get(store, key)\n\n\ndef safe(store, key):\n    try:\n        return _get(store, key)\n    except LookupError:\n        return None\n"}}}
---
# on the def of load
{"jsonrpc": "2.0", "id": 2, "method": "textDocument/hover", "params": {"textDocument": {"uri": "file:///w/store.py"}, "position": {"line": 10, "character": 5}}}
---
# on the call of _get inside load
{"jsonrpc": "2.0", "id": 3, "method": "textDocument/hover", "params": {"textDocument": {"uri": "file:///w/store.py"}, "position": {"line": 17, "character": 12}}}
---
# on safe: the handler catches it
{"jsonrpc": "2.0", "id": 4, "method": "textDocument/hover", "params": {"textDocument": {"uri": "file:///w/store.py"}, "position": {"line": 20, "character": 5}}}
---
# on a name that is neither: no hover
{"jsonrpc": "2.0", "id": 5, "method": "textDocument/hover", "params": {"textDocument": {"uri": "file:///w/store.py"}, "position": {"line": 5, "character": 19}}}
---
{"jsonrpc": "2.0", "id": 99, "method": "shutdown"}
---
{"jsonrpc": "2.0", "method": "exit"}

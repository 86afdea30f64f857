-- Headless Neovim test of editors/nvim (run by tests/editors/run.py).
--
-- Opens workspace/src/greet.py through the plugin, waits for margin's
-- syntax error, changes the settings at run time, applies the quick-fix
-- through vim.lsp.buf.code_action (the editor's own path: only vim.ui.select,
-- the menu, is answered by the test) and checks the buffer text.
--
-- Every wait is bounded (MARGIN_TEST_WAIT_MS); the first failed check ends
-- Neovim with exit status 1 and says what was expected and what was there.

local WAIT = tonumber(os.getenv("MARGIN_TEST_WAIT_MS") or "20000")
local file = assert(os.getenv("MARGIN_TEST_FILE"), "MARGIN_TEST_FILE is not set")
local root = assert(os.getenv("MARGIN_TEST_ROOT"), "MARGIN_TEST_ROOT is not set")

local function log(fmt, ...)
  io.stdout:write(fmt:format(...) .. "\n")
  io.stdout:flush()
end

local function fail(fmt, ...)
  error(fmt:format(...), 0)
end

local function wait_for(what, cond)
  if not vim.wait(WAIT, cond, 20) then
    fail("timed out after %d ms waiting for %s", WAIT, what)
  end
end

local function check(ok, fmt, ...)
  if not ok then
    fail(fmt, ...)
  end
end

local function buffer_text(buf)
  return table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, true), "\n") .. "\n"
end

local function describe(diags)
  local out = {}
  for _, d in ipairs(diags) do
    table.insert(out, ("%d:%d %s %s (%s)"):format(d.lnum, d.col, tostring(d.code), d.message, tostring(d.source)))
  end
  return "[" .. table.concat(out, "; ") .. "]"
end

local function margin_diagnostics(buf)
  local out = {}
  for _, d in ipairs(vim.diagnostic.get(buf)) do
    if d.source == "margin" then
      table.insert(out, d)
    end
  end
  return out
end

-- Wait until every margin client has answered a request sent after the
-- last notification: the server publishes before it answers, so the
-- diagnostics seen afterwards are the ones for what was sent before.
local function barrier(buf)
  for _, client in ipairs(require("margin").clients(buf)) do
    local resp = client.request_sync(
      "textDocument/documentSymbol",
      { textDocument = { uri = vim.uri_from_bufnr(buf) } },
      WAIT,
      buf
    )
    check(resp and resp.err == nil, "documentSymbol failed: %s", vim.inspect(resp))
  end
  -- Handlers of notifications that arrived before the reply run in order.
  vim.wait(50)
end

local function main()
  log("# Neovim %s", tostring(vim.version().major .. "." .. vim.version().minor .. "." .. vim.version().patch))
  vim.lsp.set_log_level("debug")
  local margin = require("margin")
  check(vim.fn.exists(":MarginRestart") == 0, "commands exist before setup()")
  local exits = {}
  margin.setup({
    settings = { select = { "E999" } },
    -- Neovim 0.10+ only: MARGIN_TEST_PULL=1 tests pulled diagnostics.
    pull_diagnostics = os.getenv("MARGIN_TEST_PULL") == "1",
    on_exit = function(code, signal)
      table.insert(exits, { code = code, signal = signal })
    end,
  })
  check(vim.fn.exists(":MarginRestart") == 2, ":MarginRestart was not defined by setup()")
  check(vim.fn.exists(":MarginFixAll") == 2, ":MarginFixAll was not defined by setup()")

  vim.cmd("edit " .. vim.fn.fnameescape(file))
  local buf = vim.api.nvim_get_current_buf()
  check(vim.bo[buf].filetype == "python", "filetype is '%s', not python", vim.bo[buf].filetype)

  -- 1. The server starts for the buffer, at the pyproject.toml root.
  -- get_active_clients() lists initialized clients only.
  wait_for("a margin client attached to the buffer", function()
    return margin.clients(buf)[1] ~= nil
  end)
  local client = margin.clients(buf)[1]
  check(
    vim.fn.resolve(client.config.root_dir) == vim.fn.resolve(root),
    "root_dir is %s, expected %s (the directory with pyproject.toml)",
    tostring(client.config.root_dir),
    root
  )
  check(client.offset_encoding == "utf-16", "offset encoding is %s, expected utf-16", tostring(client.offset_encoding))
  log("ok - margin started at the pyproject.toml root, utf-16 positions")

  -- 2. The syntax error arrives: only E999, since select = { "E999" }.
  wait_for("margin's diagnostics", function()
    return #margin_diagnostics(buf) > 0
  end)
  barrier(buf)
  local diags = margin_diagnostics(buf)
  check(#diags == 1, "expected exactly one diagnostic (E999), got %s", describe(diags))
  local d = diags[1]
  -- Line 4 is `def grüße(name)`: the ':' is missing after byte 17 (UTF-16
  -- column 15). margin gives the zero-width finding the character before it,
  -- the ')' at byte 16 (UTF-16 14); Neovim converts UTF-16 columns to bytes.
  check(d.code == "E999", "code is %s, expected E999: %s", tostring(d.code), describe(diags))
  check(d.lnum == 3 and d.col == 16, "E999 is at %d:%d, expected 3:16 (bytes)", d.lnum, d.col)
  check(d.message:find("expected ':'", 1, true) ~= nil, "message is %q, expected \"expected ':'\"", d.message)
  check(d.severity == vim.diagnostic.severity.ERROR, "severity is %s, expected ERROR", tostring(d.severity))
  log("ok - E999 %q at line 4, byte column 16", d.message)

  -- 3. Settings at run time reach the server (workspace/didChangeConfiguration).
  margin.configure({ select = { "E999" }, ignore = { "E999" } })
  wait_for("no diagnostics once E999 is ignored", function()
    return #margin_diagnostics(buf) == 0
  end)
  margin.configure({ select = { "E999" } })
  wait_for("E999 again once it is selected", function()
    return #margin_diagnostics(buf) == 1
  end)
  barrier(buf)
  diags = margin_diagnostics(buf)
  check(#diags == 1 and diags[1].code == "E999", "after re-selecting E999: %s", describe(diags))
  log("ok - configure() changes what the server reports")

  -- 4. The quick-fix, through Neovim's code-action path.
  vim.api.nvim_win_set_cursor(0, { 4, 16 })
  local offered, chosen = nil, nil
  local orig_select = vim.ui.select
  vim.ui.select = function(items, opts, on_choice)
    offered = {}
    for _, item in ipairs(items) do
      local action = item.action or item[2]
      table.insert(offered, action)
      if chosen == nil and action.title == "Insert ':'" then
        chosen = item
      end
    end
    on_choice(chosen)
  end
  vim.lsp.buf.code_action({ only = { "quickfix" } })
  wait_for("the code-action menu", function()
    return offered ~= nil
  end)
  vim.ui.select = orig_select
  local titles = {}
  for _, a in ipairs(offered) do
    table.insert(titles, ("%s (%s)"):format(a.title, tostring(a.kind)))
  end
  check(chosen ~= nil, "no \"Insert ':'\" in the menu: %s", table.concat(titles, ", "))
  local action = chosen.action or chosen[2]
  check(action.kind == "quickfix", "the fix has kind %s, expected quickfix", tostring(action.kind))
  check(action.edit ~= nil, "the fix carries no edit (Neovim 0.7 cannot resolve one)")
  log("ok - the code-action menu offers %s", table.concat(titles, ", "))

  local expected = 'import os\n\n\ndef grüße(name):\n    return "héllo " + name\n'
  if not vim.wait(WAIT, function()
    return buffer_text(buf) == expected
  end, 20) then
    fail("after the fix the buffer is\n%s\nexpected\n%s", buffer_text(buf), expected)
  end
  log("ok - buffer after the fix: %q", vim.api.nvim_buf_get_lines(buf, 3, 4, true)[1])

  -- 5. The server re-analyses the edited text: the error is gone.
  wait_for("the diagnostics to clear after the fix", function()
    return #margin_diagnostics(buf) == 0
  end)
  barrier(buf)
  check(#margin_diagnostics(buf) == 0, "diagnostics after the fix: %s", describe(margin_diagnostics(buf)))
  log("ok - no diagnostics after the fix")

  -- 6. Fix-all answers (nothing is safe to fix here) and changes nothing.
  local n = margin.fix_all({ bufnr = buf, sync = true, quiet = true })
  check(n == 0, "fix-all applied %d actions with nothing safe to fix", n)
  check(buffer_text(buf) == expected, "fix-all changed the buffer: %q", buffer_text(buf))
  log("ok - fix-all offers nothing when nothing is safe to fix")

  -- 6b. With F401 selected, fix-all removes the unused `import os`. (Skipped
  -- by a margin that reports no F401: the imports analyzer is newer than
  -- this test.)
  margin.configure({ select = { "E999", "F401" } })
  barrier(buf)
  diags = margin_diagnostics(buf)
  if #diags == 0 then
    log("skip - fix-all of F401: this margin reports no F401")
  else
    check(
      #diags == 1 and diags[1].code == "F401" and diags[1].lnum == 0,
      "expected F401 on line 1 for `import os`, got %s",
      describe(diags)
    )
    n = margin.fix_all({ bufnr = buf, sync = true })
    check(n == 1, "fix-all applied %d actions, expected 1", n)
    local text = buffer_text(buf)
    local rest = 'def grüße(name):\n    return "héllo " + name\n'
    check(
      not text:find("import os", 1, true) and text:sub(-#rest) == rest,
      "after fix-all the buffer is\n%s\nexpected no `import os` and the function intact",
      text
    )
    wait_for("F401 to clear after fix-all", function()
      return #margin_diagnostics(buf) == 0
    end)
    log("ok - fix-all removed the unused import: %s", (text:gsub("\n", "\\n")))
  end

  -- 7. :MarginRestart replaces the server, which serves the buffer again.
  vim.cmd("MarginRestart")
  wait_for("a new margin client after :MarginRestart", function()
    local c = margin.clients(buf)[1]
    return c ~= nil and c.id ~= client.id
  end)
  check(#exits == 1 and exits[1].code == 0, "the old server's exits: %s", vim.inspect(exits))
  client = margin.clients(buf)[1]
  check(#margin.clients() == 1, "%d margin clients after the restart", #margin.clients())
  barrier(buf)
  check(#margin_diagnostics(buf) == 0, "diagnostics after the restart: %s", describe(margin_diagnostics(buf)))
  log("ok - :MarginRestart started a new server for the buffer")

  -- 8. The server stops cleanly when asked to.
  exits = {}
  local id = client.id
  client.stop()
  wait_for("the server to exit", function()
    return #exits > 0
  end)
  check(
    exits[1].code == 0 and (exits[1].signal or 0) == 0,
    "the server exited with code %d, signal %d, after shutdown and exit",
    exits[1].code,
    exits[1].signal or 0
  )
  wait_for("the client to go once its server exited", function()
    local c = vim.lsp.get_client_by_id(id)
    return c == nil or c.is_stopped()
  end)
  log("ok - the server exited with status 0 after shutdown and exit")
end

local ok, err = xpcall(main, debug.traceback)
if not ok then
  io.stderr:write("not ok - " .. tostring(err) .. "\n")
  io.stderr:write("lsp log: " .. vim.lsp.get_log_path() .. "\n")
  io.stderr:flush()
  vim.cmd("1cquit!")
else
  vim.cmd("qall!")
end

-- :checkhealth margin
local M = {}

-- The health API moved: require("health") on 0.7, vim.health.report_* on
-- 0.8 and 0.9, vim.health.start/ok/warn/error from 0.10.
local function api()
  local h = vim.health
  if h and h.start then
    return h.start, h.ok, h.warn, h.error
  end
  h = (h and h.report_start) and h or require("health")
  return h.report_start, h.report_ok, h.report_warn, h.report_error
end

function M.check()
  local start, ok, warn, error = api()
  local margin = require("margin")
  start("margin")
  if vim.fn.has("nvim-0.7") ~= 1 then
    error("Neovim 0.7 or later is needed")
  end
  local exe = margin.config.cmd[1]
  if vim.fn.executable(exe) ~= 1 then
    error(("'%s' is not an executable on PATH"):format(exe), {
      "install margin (see docs/install.md)",
      "or give its path: require('margin').setup({ cmd = { '/path/to/margin', 'lsp' } })",
    })
  else
    local out = vim.fn.system({ vim.fn.exepath(exe), "version" })
    if vim.v.shell_error == 0 then
      ok(("%s: %s"):format(vim.fn.exepath(exe), vim.trim(out)))
    else
      warn(("'%s version' failed: %s"):format(exe, vim.trim(out)))
    end
  end
  local clients = margin.clients()
  if #clients == 0 then
    ok("no margin server is running (it starts when a Python file is opened)")
  end
  for _, client in ipairs(clients) do
    ok(("client %d: root %s, position encoding %s"):format(
      client.id,
      client.config.root_dir or "-",
      client.offset_encoding or "?"
    ))
  end
end

return M

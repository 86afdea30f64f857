-- margin for Neovim: starts the margin language server for Python buffers.
--
--   require("margin").setup({ settings = { select = { "E", "F401" } } })
--
-- Works on Neovim 0.7 (vim.lsp.start_client + buf_attach_client, one client
-- per root kept here) and on 0.8 and later (vim.lsp.start, which reuses a
-- client with the same name and root). Settings go to the server twice, as
-- initializationOptions and as workspace/didChangeConfiguration (nested
-- under "margin"), and again whenever configure() changes them.
local M = {}

local uv = vim.uv or vim.loop

M.defaults = {
  -- The server command; the first word is looked up on PATH.
  cmd = { "margin", "lsp" },
  filetypes = { "python" },
  -- The root is the nearest directory holding any of these.
  root_markers = { "pyproject.toml", "setup.cfg", ".git" },
  -- Outside any root, start a server for the file's own directory.
  single_file_support = true,
  -- margin's settings: { select = {...}, ignore = {...} } (docs/configuration.md).
  settings = {},
  -- Start for matching buffers automatically (otherwise call start()).
  autostart = true,
  -- Apply every safe fix before each write.
  fix_all_on_save = false,
  -- Define :MarginRestart, :MarginFixAll and :MarginInfo.
  commands = true,
  -- Neovim 0.10 and later can pull diagnostics, but pull them only after an
  -- edit, and cannot be asked to pull again (no workspace/diagnostic/refresh):
  -- a change of settings would show only after the next edit. By default,
  -- margin pushes them instead, as it does to older Neovims. With true, the
  -- client pulls, and configure() asks it to pull again.
  pull_diagnostics = false,
  -- Passed on to the client: on_attach(client, bufnr), on_exit(code, signal, id).
  on_attach = nil,
  on_exit = nil,
  capabilities = nil,
  name = "margin",
}

M.config = vim.deepcopy(M.defaults)

-- Neovim 0.7 only: root directory -> client id.
local clients_by_root = {}
local warned_missing = false

local get_clients = vim.lsp.get_clients or vim.lsp.get_active_clients

-- Client methods are called with a dot up to 0.10 and with a colon from
-- 0.11, which deprecates the dot.
local colon_methods = vim.fn.has("nvim-0.11") == 1
local function call(client, method, ...)
  if colon_methods then
    return client[method](client, ...)
  end
  return client[method](...)
end

local function buffers_of(client)
  local out = {}
  for b, attached in pairs(client.attached_buffers or {}) do
    if attached then
      table.insert(out, b)
    end
  end
  table.sort(out)
  return out
end

local function notify(msg, level)
  vim.schedule(function()
    vim.notify("margin: " .. msg, level or vim.log.levels.INFO)
  end)
end

-- An empty Lua table is encoded as a JSON array; settings must be an object.
local function settings_object(settings)
  if type(settings) ~= "table" or next(settings) == nil then
    return vim.empty_dict()
  end
  return vim.deepcopy(settings)
end

--- The directory of `path` or its nearest ancestor holding a root marker,
--- or nil when there is none.
function M.find_root(path, markers)
  markers = markers or M.config.root_markers
  local dir = vim.fn.fnamemodify(path, ":p:h")
  while dir and dir ~= "" do
    for _, marker in ipairs(markers) do
      if uv.fs_stat(dir .. "/" .. marker) then
        return dir
      end
    end
    local parent = vim.fn.fnamemodify(dir, ":h")
    if parent == dir then
      break
    end
    dir = parent
  end
  return nil
end

--- Running margin clients, optionally only those attached to `bufnr`.
function M.clients(bufnr)
  local out = {}
  for _, client in pairs(get_clients()) do
    if client.name == M.config.name and (bufnr == nil or vim.lsp.buf_is_attached(bufnr, client.id)) then
      table.insert(out, client)
    end
  end
  return out
end

local function send_settings(client, settings)
  call(client, "notify", "workspace/didChangeConfiguration", { settings = settings })
end

-- Neovim 0.8 and later send config.settings after initialize themselves.
local sends_settings_on_init = vim.fn.has("nvim-0.8") == 1

local function client_capabilities(cfg)
  local caps = cfg.capabilities
  if caps == nil and not cfg.pull_diagnostics then
    caps = vim.lsp.protocol.make_client_capabilities()
  end
  if caps ~= nil and not cfg.pull_diagnostics and caps.textDocument then
    caps = vim.deepcopy(caps)
    caps.textDocument.diagnostic = nil
  end
  return caps
end

local function client_config(root)
  local cfg = M.config
  return {
    name = cfg.name,
    cmd = cfg.cmd,
    root_dir = root,
    workspace_folders = { { uri = vim.uri_from_fname(root), name = root } },
    init_options = settings_object(cfg.settings),
    settings = { margin = settings_object(cfg.settings) },
    capabilities = client_capabilities(cfg),
    on_attach = cfg.on_attach,
    on_init = function(client)
      if not cfg.pull_diagnostics and client.server_capabilities then
        -- Neovim pulls from any server that offers pulls, whatever the
        -- client said; margin, told the client cannot pull, pushes.
        client.server_capabilities.diagnosticProvider = nil
      end
      if not sends_settings_on_init then
        send_settings(client, client.config.settings)
      end
    end,
    on_exit = function(code, signal, id)
      if cfg.on_exit then
        cfg.on_exit(code, signal, id)
      end
      if code ~= 0 or (signal and signal ~= 0) then
        notify(
          ("the server exited (code %d, signal %d); :MarginRestart starts it again"):format(code, signal or 0),
          vim.log.levels.WARN
        )
      end
    end,
  }
end

--- Start margin for `bufnr` (default: the current buffer), or attach it to
--- the client already running for its root. Returns the client id, or nil
--- when the buffer is not a file or the server cannot be started.
function M.start(bufnr)
  if bufnr == nil or bufnr == 0 then
    bufnr = vim.api.nvim_get_current_buf()
  end
  if not vim.api.nvim_buf_is_valid(bufnr) or vim.bo[bufnr].buftype ~= "" then
    return nil
  end
  local path = vim.api.nvim_buf_get_name(bufnr)
  if path == "" then
    return nil
  end
  local exe = M.config.cmd[1]
  if vim.fn.executable(exe) ~= 1 then
    if not warned_missing then
      warned_missing = true
      notify(
        ("cannot start the server: '%s' is not an executable on PATH. Install margin, or give its path: "
          .. "require('margin').setup({ cmd = { '/path/to/margin', 'lsp' } })"):format(exe),
        vim.log.levels.ERROR
      )
    end
    return nil
  end
  local root = M.find_root(path)
  if root == nil then
    if not M.config.single_file_support then
      return nil
    end
    root = vim.fn.fnamemodify(path, ":p:h")
  end

  if vim.lsp.start ~= nil then
    -- 0.8+: vim.lsp.start attaches the current buffer and reuses a client
    -- with the same name and root_dir.
    return vim.api.nvim_buf_call(bufnr, function()
      return vim.lsp.start(client_config(root))
    end)
  end

  local id = clients_by_root[root]
  local client = id and vim.lsp.get_client_by_id(id)
  if client == nil or call(client, "is_stopped") then
    id = vim.lsp.start_client(client_config(root))
    if id == nil then
      return nil
    end
    clients_by_root[root] = id
  end
  vim.lsp.buf_attach_client(bufnr, id)
  return id
end

--- Replace margin's settings and send them to every running margin server.
function M.configure(settings)
  M.config.settings = settings or {}
  for _, client in ipairs(M.clients()) do
    local wire = { margin = settings_object(M.config.settings) }
    -- What workspace/configuration answers from: config.settings up to
    -- 0.9, client.settings from 0.10.
    client.config.settings = wire
    if client.settings ~= nil then
      client.settings = wire
    end
    send_settings(client, wire)
    if M.config.pull_diagnostics then
      -- Pull again, as Neovim would after an edit; the default handler
      -- (vim.lsp.diagnostic.on_diagnostic) shows the result.
      for _, b in ipairs(buffers_of(client)) do
        call(client, "request", "textDocument/diagnostic", { textDocument = { uri = vim.uri_from_bufnr(b) } }, nil, b)
      end
    end
  end
end

local function fix_all_params(bufnr)
  return {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    range = { start = { line = 0, character = 0 }, ["end"] = { line = 0, character = 0 } },
    context = { diagnostics = {}, only = { "source.fixAll.margin" } },
  }
end

local function apply_fix_all(client, actions)
  local applied = 0
  for _, action in ipairs(actions or {}) do
    if action.kind == "source.fixAll.margin" and action.edit then
      vim.lsp.util.apply_workspace_edit(action.edit, client.offset_encoding or "utf-16")
      applied = applied + 1
    end
  end
  return applied
end

--- Apply every safe fix margin offers for `opts.bufnr` (default: current).
--- With `opts.sync`, waits up to `opts.timeout_ms` (default 2000) and
--- returns the number of fix-all actions applied.
function M.fix_all(opts)
  opts = opts or {}
  local bufnr = opts.bufnr or vim.api.nvim_get_current_buf()
  local clients = M.clients(bufnr)
  if #clients == 0 then
    if not opts.quiet then
      notify("no margin server is attached to this buffer", vim.log.levels.WARN)
    end
    return 0
  end
  local applied = 0
  for _, client in ipairs(clients) do
    local params = fix_all_params(bufnr)
    if opts.sync then
      local resp = call(client, "request_sync", "textDocument/codeAction", params, opts.timeout_ms or 2000, bufnr)
      if resp and resp.result then
        applied = applied + apply_fix_all(client, resp.result)
      elseif not opts.quiet then
        notify("fix all failed: " .. vim.inspect(resp and resp.err or "timeout"), vim.log.levels.WARN)
      end
    else
      call(client, "request", "textDocument/codeAction", params, function(err, result)
        if err then
          notify("fix all failed: " .. (err.message or vim.inspect(err)), vim.log.levels.WARN)
        elseif apply_fix_all(client, result) == 0 and not opts.quiet then
          notify("nothing to fix safely")
        end
      end, bufnr)
    end
  end
  return applied
end

--- Stop margin's clients and start them again for the buffers they had.
function M.restart()
  local buffers = {}
  local ids = {}
  for _, client in ipairs(M.clients()) do
    for _, b in ipairs(buffers_of(client)) do
      table.insert(buffers, b)
    end
    table.insert(ids, client.id)
    call(client, "stop")
  end
  -- Wait until the clients are gone, not merely stopping: vim.lsp.start
  -- would attach the buffers to a stopping client with the same root.
  local function gone()
    for _, id in ipairs(ids) do
      if vim.lsp.get_client_by_id(id) ~= nil then
        return false
      end
    end
    return true
  end
  if not vim.wait(3000, gone, 20) then
    for _, id in ipairs(ids) do
      local c = vim.lsp.get_client_by_id(id)
      if c then
        call(c, "stop", true)
      end
    end
    vim.wait(1000, gone, 20)
  end
  clients_by_root = {}
  for _, b in ipairs(buffers) do
    M.start(b)
  end
end

function M.info()
  local lines = { ("margin: cmd %s, settings %s"):format(vim.inspect(M.config.cmd), vim.inspect(M.config.settings)) }
  for _, client in ipairs(M.clients()) do
    table.insert(
      lines,
      ("client %d: root %s, encoding %s, buffers %s"):format(
        client.id,
        client.config.root_dir or "-",
        client.offset_encoding or "?",
        table.concat(buffers_of(client), ",")
      )
    )
  end
  if #lines == 1 then
    table.insert(lines, "no margin server is running")
  end
  vim.notify(table.concat(lines, "\n"))
end

local function define_commands()
  vim.api.nvim_create_user_command("MarginRestart", function()
    M.restart()
  end, { desc = "Restart the margin language server" })
  vim.api.nvim_create_user_command("MarginFixAll", function()
    M.fix_all()
  end, { desc = "Apply every safe fix margin offers in this buffer" })
  vim.api.nvim_create_user_command("MarginInfo", function()
    M.info()
  end, { desc = "Show margin's servers and settings" })
end

--- Configure margin and start it for Python buffers. May be called again
--- to change the configuration; running servers get the new settings.
function M.setup(opts)
  opts = opts or {}
  -- (Not vim.validate: its form changed in 0.11.)
  for key, kind in pairs({
    cmd = "table",
    filetypes = "table",
    root_markers = "table",
    settings = "table",
    on_attach = "function",
    on_exit = "function",
  }) do
    if opts[key] ~= nil and type(opts[key]) ~= kind then
      error(("margin.setup: '%s' must be a %s, not a %s"):format(key, kind, type(opts[key])), 2)
    end
  end
  M.config = vim.tbl_deep_extend("force", vim.deepcopy(M.defaults), opts)
  -- Lists replace the defaults rather than merge into them by index.
  for _, key in ipairs({ "cmd", "filetypes", "root_markers" }) do
    if opts[key] then
      M.config[key] = vim.deepcopy(opts[key])
    end
  end
  M.config.settings = vim.deepcopy(opts.settings or {})

  local group = vim.api.nvim_create_augroup("margin", { clear = true })
  if M.config.autostart then
    vim.api.nvim_create_autocmd("FileType", {
      group = group,
      pattern = M.config.filetypes,
      callback = function(args)
        M.start(args.buf)
      end,
    })
  end
  if M.config.fix_all_on_save then
    vim.api.nvim_create_autocmd("BufWritePre", {
      group = group,
      callback = function(args)
        if #M.clients(args.buf) > 0 then
          M.fix_all({ bufnr = args.buf, sync = true, quiet = true })
        end
      end,
    })
  end
  if M.config.commands then
    define_commands()
  end

  -- Buffers opened before setup() (lazy loading) and running servers.
  if M.clients()[1] then
    M.configure(M.config.settings)
  end
  if M.config.autostart then
    for _, b in ipairs(vim.api.nvim_list_bufs()) do
      if vim.api.nvim_buf_is_loaded(b) and vim.tbl_contains(M.config.filetypes, vim.bo[b].filetype) then
        M.start(b)
      end
    end
  end
end

return M

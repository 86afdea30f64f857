-- Neovim setup for the screenshots (tests/editors/screenshots.sh): the
-- plugin as a user would configure it, diagnostics with their codes.
vim.opt.runtimepath:prepend(os.getenv("MARGIN_NVIM_PLUGIN"))
vim.opt.number = true
vim.opt.signcolumn = "yes"
vim.opt.shortmess:append("I")
vim.opt.laststatus = 2
vim.opt.swapfile = false
local function with_code(d)
  return ("%s %s"):format(d.code, d.message)
end
vim.diagnostic.config({
  severity_sort = true,
  virtual_text = { format = with_code },
  float = { source = "always", border = "rounded", format = with_code },
})
vim.cmd([[
  highlight SignColumn ctermbg=NONE
  highlight NormalFloat ctermbg=236 ctermfg=252
  highlight FloatBorder ctermbg=236 ctermfg=244
]])
require("margin").setup({})

// VS Code (code-server in headless Chromium) test of editors/vscode, run by
// tests/editors/vscode_run.py, which starts code-server with the extension
// installed and passes what this needs in MARGIN_TEST_* variables.
//
// Everything goes through VS Code's own UI, as a user would: Quick Open, the
// Problems panel, the light-bulb menu (Ctrl+.), the command palette, hovers,
// settings.json. Every wait is bounded (MARGIN_TEST_WAIT_MS); the first
// failed check ends the test with status 1, saying what was expected and
// what was there, with a screenshot of the page beside the workspace.
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

const env = process.env;
const WAIT = Number(env.MARGIN_TEST_WAIT_MS || 20000);
const root = env.MARGIN_TEST_ROOT;
const serverExe = env.MARGIN_TEST_SERVER_EXE;
const shots = env.MARGIN_TEST_SCREENSHOTS;
const { chromium } = createRequire(path.join(env.MARGIN_TEST_MODULES, "package.json"))("playwright-core");

const GREET = 'import os\n\n\ndef grüße(name)\n    return "héllo " + name\n';
const INVENTORY = fs.readFileSync(path.join(root, "src", "inventory.py"), "utf8");

class Failure extends Error {}
const t0 = Date.now();
function log(s) {
  process.stdout.write(`${s}\n`);
}
function ok(s) {
  log(`ok - ${s} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}
function check(cond, msg) {
  if (!cond) throw new Failure(typeof msg === "function" ? msg() : msg);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Poll fn until it returns something truthy; `state` says what was there instead. */
async function until(what, fn, state, timeout = WAIT) {
  const end = Date.now() + timeout;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) {
      const was = state ? `\n  there was: ${JSON.stringify(await state())}` : "";
      throw new Failure(`timed out after ${timeout} ms waiting for ${what}${was}`);
    }
    await sleep(100);
  }
}

function readFile(rel) {
  return fs.readFileSync(path.join(root, rel), "utf8");
}

/** Pids of this run's margin servers (`margin lsp` of the binary installed with the extension). */
function serverPids() {
  const pids = [];
  for (const d of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (
        fs.readlinkSync(`/proc/${d}/exe`) === serverExe &&
        fs.readFileSync(`/proc/${d}/cmdline`, "utf8").split("\0").includes("lsp")
      ) {
        pids.push(Number(d));
      }
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

/** The text of code-server's log files (under the user-data-dir) whose name matches `re`. */
function logs(re) {
  const out = [];
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (re.test(e.name)) out.push(fs.readFileSync(p, "utf8"));
    }
  };
  if (fs.existsSync(env.MARGIN_TEST_LOGS)) walk(env.MARGIN_TEST_LOGS);
  return out.join("");
}

/** The output channel 'margin' as the extension host writes it to its log folder. */
const channelLog = () => logs(/^\d+-margin\.log$/);

/** The workspace's .vscode/settings.json: `settings`, and the client's trace of LSP messages. */
function writeSettings(settings) {
  fs.mkdirSync(path.join(root, ".vscode"), { recursive: true });
  const all = { "margin.trace.server": "messages", ...settings };
  fs.writeFileSync(path.join(root, ".vscode", "settings.json"), JSON.stringify(all, null, 2));
}

/** How many servers answered `initialize`, by the client's trace. */
function initialized() {
  return (channelLog().match(/Received response 'initialize - \(\d+\)'/g) || []).length;
}

// ---- the page ---------------------------------------------------------------

let page;

/** The Problems panel: [{file, severity, message, source, code, line, col}]. */
async function problems() {
  return page.$$eval(".markers-panel .monaco-list-row", (rows) => {
    const out = [];
    let file = null;
    for (const r of rows) {
      const label = r.getAttribute("aria-label") || "";
      const f = /problems? in file (\S+)/.exec(label);
      if (f) {
        file = f[1];
        continue;
      }
      const m = /^(.*)\n(\S+)\n(\S+)\n\[Ln (\d+), Col (\d+)\]$/s.exec(r.innerText.trim());
      if (!m) continue;
      out.push({
        file,
        severity: label.split(":")[0],
        message: m[1],
        source: m[2],
        code: m[3],
        line: Number(m[4]),
        col: Number(m[5]),
      });
    }
    return out;
  });
}

async function problemsOf(file) {
  return (await problems()).filter((p) => p.file === file);
}

function codes(list) {
  return list.map((p) => `${p.code}@${p.line}:${p.col}`).sort().join(" ");
}

/** Run a command by its title through the command palette. */
async function command(title) {
  await page.keyboard.press("F1");
  const input = page.locator(".quick-input-widget .quick-input-box input");
  await input.waitFor({ state: "visible", timeout: WAIT });
  await input.fill(`>${title}`);
  const row = page.locator(".quick-input-list .monaco-list-row", { hasText: title }).first();
  await row.waitFor({ state: "visible", timeout: WAIT });
  await until(`'${title}' to be the first command`, async () =>
    (await page.locator(".quick-input-list .monaco-list-row").first().getAttribute("aria-label"))?.startsWith(title),
  );
  await page.keyboard.press("Enter");
  await page.locator(".quick-input-widget").waitFor({ state: "hidden", timeout: WAIT });
}

/** Open a workspace file through Quick Open (Ctrl+P). */
async function openFile(name) {
  await page.keyboard.press("Control+P");
  const input = page.locator(".quick-input-widget .quick-input-box input");
  await input.waitFor({ state: "visible", timeout: WAIT });
  await input.fill(name);
  await page
    .locator(".quick-input-list .monaco-list-row", { hasText: name })
    .first()
    .waitFor({ state: "visible", timeout: WAIT });
  await page.keyboard.press("Enter");
  await page.locator(`.tabs-container .tab.active[aria-label^="${name}"]`).waitFor({ timeout: WAIT });
  await page.locator(".editor-instance .monaco-editor.focused").waitFor({ timeout: WAIT });
}

async function showProblems() {
  if (!(await page.locator(".markers-panel").isVisible())) {
    await command("View: Focus Problems");
  }
  await page.locator(".markers-panel").waitFor({ state: "visible", timeout: WAIT });
}

/** Open the Problems row of `code` in the editor (the cursor goes to the finding). */
async function gotoProblem(file, code) {
  await showProblems();
  const row = page.locator(".markers-panel .monaco-list-row", { hasText: code }).filter({
    hasText: /\[Ln \d+, Col \d+\]/,
  });
  await until(`a ${code} row in Problems`, async () => (await problemsOf(file)).some((p) => p.code === code), problems);
  await row.first().dblclick();
  await page.locator(".editor-instance .monaco-editor.focused").waitFor({ timeout: WAIT });
}

/** Ctrl+. at the cursor: the titles of the light-bulb menu. */
async function quickFixMenu() {
  await page.keyboard.press("Control+.");
  await page.locator(".action-widget .monaco-list-row.action").first().waitFor({ timeout: WAIT });
  await sleep(300); // the menu may grow while late providers answer
  return page.$$eval(".action-widget .monaco-list-row.action", (rows) =>
    rows.map((r) => r.getAttribute("aria-label") || r.innerText),
  );
}

/** Choose the light-bulb menu's entry starting with `title`, with the keyboard. */
async function pick(title) {
  const focused = () =>
    page.$eval(".action-widget .monaco-list-row.focused", (r) => r.getAttribute("aria-label") || "").catch(() => "");
  for (let i = 0; i < 10 && !(await focused()).startsWith(title); i++) {
    await page.keyboard.press("ArrowDown");
    await sleep(50);
  }
  check((await focused()).startsWith(title), `no '${title}' in the quick-fix menu`);
  await page.keyboard.press("Enter");
  await page.locator(".action-widget").waitFor({ state: "hidden", timeout: WAIT });
}

/** Save the active editor once the edit made it dirty; then the file must be `expected`. */
async function save(rel, expected, what) {
  await page.locator(".tabs-container .tab.active.dirty").waitFor({ timeout: WAIT });
  await page.keyboard.press("Control+S");
  await until(
    `${rel} on disk to be ${JSON.stringify(expected)} (${what})`,
    () => readFile(rel) === expected,
    () => readFile(rel),
  );
}

async function hoverWord(word, line) {
  const span = page
    .locator(".editor-instance .view-line", { hasText: line })
    .locator("span span", { hasText: word })
    .first();
  const box = await span.boundingBox();
  check(box !== null, `no '${word}' on the screen`);
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  return until(
    `a hover over '${word}'`,
    async () => {
      const texts = await page.$$eval(".monaco-hover:not(.hidden)", (els) =>
        els.map((e) => e.innerText).filter((t) => t.trim() !== ""),
      );
      return texts.length ? texts.join("\n") : null;
    },
  );
}

async function screenshot(name) {
  if (!shots) return;
  fs.mkdirSync(shots, { recursive: true });
  await sleep(400); // let the workbench finish drawing
  await page.screenshot({ path: path.join(shots, `${name}.png`) });
  log(`# screenshot ${path.join(shots, `${name}.png`)}`);
}

// ---- the test ---------------------------------------------------------------

async function main() {
  const context = await chromium.launchPersistentContext(env.MARGIN_TEST_PROFILE, {
    executablePath: env.MARGIN_TEST_CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
    viewport: { width: 1280, height: 720 },
  });
  try {
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(WAIT);
    await run();
  } catch (e) {
    if (page) {
      const where = env.MARGIN_TEST_FAILURE_SHOT || path.join(path.dirname(root), "failure.png");
      await page.screenshot({ path: where }).catch(() => undefined);
      log(`# the page when it failed: ${where}`);
    }
    throw e;
  } finally {
    await context.close();
  }
}

async function run() {
  writeSettings({});
  log(`# ${env.MARGIN_TEST_URL}?folder=${root}`);
  await page.goto(`${env.MARGIN_TEST_URL}?folder=${encodeURIComponent(root)}`);
  await page.locator(".monaco-workbench .explorer-folders-view").waitFor({ timeout: 60000 });
  const version = await page.evaluate(() => document.title);
  ok(`VS Code is up: ${version}`);

  // 1. Opening a Python file starts margin, from the .vsix's own binary.
  check(serverPids().length === 0, "margin runs before any Python file is open");
  await openFile("inventory.py");
  await until("the margin server to start", () => serverPids().length === 1, serverPids);
  await until(
    "the output channel to say margin started from the bundled binary",
    () => /starting .*\/bin\/linux-\w+\/margin lsp --stdio \(bundled with the extension\)/.test(channelLog()) &&
      /started: margin \d/.test(channelLog()),
    channelLog,
  );
  const activations = () => logs(/^remoteexthost\.log$/).match(/_doActivateExtension margin\.margin\b.*/g) || [];
  await until("the extension host's log to say margin was activated", () => activations().length > 0);
  check(
    activations().length === 1 && /activationEvent: 'onLanguage:python'/.test(activations()[0]),
    () => `margin was activated by: ${JSON.stringify(activations())}`,
  );
  ok("opening inventory.py activated the extension (onLanguage:python) and started the bundled margin");

  // 2. Its findings in the Problems panel.
  await showProblems();
  const want = "ANN001@10:10 ANN001@18:13 ANN001@18:20 ANN201@10:5 ANN201@18:5 D103@10:5 E722@14:5 F401@5:8";
  await until(`Problems to list ${want} for inventory.py`, async () => codes(await problemsOf("inventory.py")) === want, problems);
  const inv = await problemsOf("inventory.py");
  const e722 = inv.find((p) => p.code === "E722");
  check(
    e722.source === "margin" && e722.severity === "Warning" && e722.message === "Do not use bare `except`",
    () => `E722 is ${JSON.stringify(e722)}`,
  );
  ok(`Problems lists margin's findings: ${want}`);

  // 3. Hovers: a finding's message and code; on a function, margin's own
  // hover (what may escape it) under its findings.
  await page.locator(".editor-instance .view-line", { hasText: "except:" }).first().click();
  const hover = await hoverWord("except", "except:");
  check(/Do not use bare `?except`?/.test(hover) && /E722/.test(hover), `the hover on 'except' is ${JSON.stringify(hover)}`);
  await page.keyboard.press("Escape");
  await page.mouse.move(0, 0);
  await until("the hover to close", async () => (await page.locator(".monaco-hover:not(.hidden)").count()) === 0);
  const restock = await hoverWord("restock", "def restock");
  check(
    /ANN201/.test(restock) && /No exception escapes restock through the project's code/.test(restock),
    `the hover on 'restock' is ${JSON.stringify(restock)}`,
  );
  await screenshot("vscode-diagnostics");
  await page.keyboard.press("Escape");
  ok("hovers: E722 on 'except'; ANN201 and what escapes on 'restock'");

  // 4. A quick fix through the light bulb: remove the unused import.
  await gotoProblem("inventory.py", "F401");
  const menu = await quickFixMenu();
  check(
    menu.some((t) => /^Remove unused import/.test(t)) && menu.includes("Ignore F401 on this line"),
    `the quick-fix menu on F401 is ${JSON.stringify(menu)}`,
  );
  await screenshot("vscode-code-action");
  await pick("Remove unused import");
  await save("src/inventory.py", INVENTORY.replace("import os\n", ""), "after the quick fix");
  await until(
    "F401 to leave Problems",
    async () => !(await problemsOf("inventory.py")).some((p) => p.code === "F401"),
    problems,
  );
  ok(`the quick fix '${menu.find((t) => /^Remove unused import/.test(t))}' removed \`import os\``);

  // 4b. No outline from margin (it answers documentSymbol for other editors).
  await command("Explorer: Focus on Outline View");
  await until(
    "the Outline view to have no symbols for inventory.py",
    async () => (await page.locator(".outline-pane").innerText().catch(() => "")).includes("No symbols found in document 'inventory.py'"),
    async () => page.locator(".outline-pane").innerText().catch(() => "(no outline pane)"),
  );
  ok("the Outline view gets no symbols from margin");

  // 5. The syntax error of greet.py, at the UTF-16 column, and its fix.
  await openFile("greet.py");
  await until(
    "Problems to list D100, F401 and E999 for greet.py",
    async () => codes(await problemsOf("greet.py")) === "D100@1:1 E999@4:15 F401@1:8",
    problems,
  );
  const e999 = (await problemsOf("greet.py")).find((p) => p.code === "E999");
  check(e999.severity === "Error" && e999.message === "expected ':'", () => `E999 is ${JSON.stringify(e999)}`);
  await gotoProblem("greet.py", "E999");
  const menu2 = await quickFixMenu();
  check(menu2.includes("Insert ':'"), `the quick-fix menu on E999 is ${JSON.stringify(menu2)}`);
  await pick("Insert ':'");
  const fixed = GREET.replace("def grüße(name)\n", "def grüße(name):\n");
  await save("src/greet.py", fixed, "after Insert ':'");
  await until(
    "E999 to leave Problems (and the function's own findings to come)",
    async () => codes(await problemsOf("greet.py")) === "ANN001@4:11 ANN201@4:5 D100@1:1 D103@4:5 F401@1:8",
    problems,
  );
  ok("Insert ':' fixed greet.py; margin re-analysed it");

  // 6. margin's own hover: what escapes a function.
  const escapes = await hoverWord("grüße", "def ");
  check(/No exception escapes grüße/.test(escapes), `the hover on grüße is ${JSON.stringify(escapes)}`);
  await page.keyboard.press("Escape");
  ok("margin's hover on grüße");

  // 7. Settings reach the running server (workspace/didChangeConfiguration).
  writeSettings({ "margin.ignore": ["D"], "margin.extendIgnore": ["ANN"] });
  await until("only F401 once D is ignored and ANN extend-ignored", async () => codes(await problemsOf("greet.py")) === "F401@1:8", problems);
  ok("margin.ignore and margin.extendIgnore in settings.json apply at once");

  // 8. Fix All, from the command palette.
  await page.locator(".editor-instance .view-line", { hasText: "return" }).first().click();
  await command("margin: Fix All");
  await save("src/greet.py", 'def grüße(name):\n    return "héllo " + name\n', "after margin: Fix All");
  await until("no problems in greet.py after Fix All", async () => (await problemsOf("greet.py")).length === 0, problems);
  ok("margin: Fix All removed the unused import");

  // 9. A crashed server is restarted, and serves the open files again.
  const [first] = serverPids();
  process.kill(first, "SIGKILL");
  await until(
    "a new margin server after the crash",
    () => serverPids().length === 1 && serverPids()[0] !== first,
    serverPids,
  );
  await until("the log to say margin was restarted", () => /restarting it \(1 of 4\)/.test(channelLog()), channelLog);
  await page.locator(".editor-instance .view-line", { hasText: "def " }).first().click();
  await page.keyboard.press("Control+Home");
  await page.keyboard.type("import sys\n");
  await until(
    "F401 on the new `import sys` from the restarted server",
    async () => codes(await problemsOf("greet.py")) === "F401@1:8",
    problems,
  );
  ok("margin was restarted after being killed, and reports on the edited text");

  // 9b. ... up to four times in three minutes; the fifth crash is the last.
  // (Each server is killed once it has answered initialize: a crash, not a
  // failed start.)
  for (let n = 2; n <= 5; n++) {
    await until(`server ${n} to answer initialize`, () => initialized() === n && serverPids().length === 1, () => [initialized(), serverPids()]);
    process.kill(serverPids()[0], "SIGKILL");
  }
  await page
    .locator(".notifications-toasts .notification-toast", {
      hasText: "The margin server stopped unexpectedly 5 times in three minutes and will not be restarted",
    })
    .first()
    .waitFor({ timeout: WAIT });
  await sleep(500);
  check(serverPids().length === 0, () => `margin was restarted after the fifth crash: ${serverPids()}`);
  await until("the log to say margin was restarted 4 times", () => /restarting it \(4 of 4\)/.test(channelLog()), channelLog);
  ok("after the fifth crash in a row margin stays stopped and says so");
  await command("margin: Restart Server");
  await until("margin: Restart Server to start margin again", () => serverPids().length === 1, serverPids);
  await page.locator(".editor-instance .view-line", { hasText: "import sys" }).first().click();
  await page.keyboard.press("End");
  await page.keyboard.type(", json");
  await until(
    "F401 on `json` from the server margin: Restart Server started",
    async () => codes(await problemsOf("greet.py")) === "F401@1:13 F401@1:8",
    problems,
  );
  ok("margin: Restart Server starts it again");

  // 10. A margin.path that is not there: the server stops, the user is told how to fix it.
  writeSettings({ "margin.ignore": ["D"], "margin.extendIgnore": ["ANN"], "margin.path": "/nonexistent/margin" });
  const toast = page.locator(".notifications-toasts .notification-toast", {
    hasText: "margin.path is set to '/nonexistent/margin', which is not an executable file",
  });
  await toast.first().waitFor({ timeout: WAIT });
  check(await toast.first().locator("a.monaco-button", { hasText: "Open Settings" }).count() === 1, "the message has no 'Open Settings' button");
  await until("the old server to stop", () => serverPids().length === 0, serverPids);
  ok("a bad margin.path stops the server and says how to fix it");

  // 10b. A margin that cannot run at all: one message, with its own error.
  const broken = path.join(path.dirname(root), "broken-margin");
  fs.writeFileSync(broken, "#!/bin/sh\necho 'margin: error while loading shared libraries: libuv.so.1' >&2\nexit 127\n", {
    mode: 0o755,
  });
  writeSettings({ "margin.ignore": ["D"], "margin.extendIgnore": ["ANN"], "margin.path": broken });
  await page
    .locator(".notifications-toasts .notification-toast", {
      hasText: `margin (${broken}, margin.path) does not run: margin: error while loading shared libraries: libuv.so.1`,
    })
    .first()
    .waitFor({ timeout: WAIT });
  await sleep(500);
  const toasts = await page.$$eval(".notifications-toasts .notification-toast", (els) => els.map((e) => e.innerText));
  check(
    !toasts.some((t) => /couldn't create connection|is erroring|EPIPE/.test(t)),
    () => `more than margin's message: ${JSON.stringify(toasts)}`,
  );
  check(serverPids().length === 0, "a server runs with a broken margin.path");
  ok("a margin that does not run is reported once, with its error");

  // 11. margin: Show Server Log, and back to the bundled binary.
  writeSettings({ "margin.ignore": ["D"], "margin.extendIgnore": ["ANN"] });
  await until("margin to start again once margin.path is cleared", () => serverPids().length === 1, serverPids);
  await command("margin: Show Server Log");
  const output = page.locator(".output-view .view-lines, [id='workbench.panel.output'] .view-lines").first();
  // (Monaco draws spaces as no-break spaces.)
  const shown = async () => (await output.innerText().catch(() => "(no output view)")).replace(/\u00a0/g, " ");
  await until(
    "the output channel 'margin' to show the server starting",
    async () => /started: margin \d/.test(await shown()),
    shown,
  );
  ok("margin: Show Server Log shows the log");
}

main().then(
  () => {
    log(`# passed in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    process.exit(0);
  },
  (e) => {
    log(`not ok - ${e instanceof Failure ? e.message : e.stack || e}`);
    process.exit(1);
  },
);

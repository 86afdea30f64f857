// margin for VS Code: starts `margin lsp` for Python files and passes it the
// editor's settings. margin's diagnostics (pulled or pushed), code actions
// and hover come through vscode-languageclient; nothing else (no completion,
// formatting or outline: Pylance and Ruff give those).
import * as cp from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as vscode from "vscode";
import {
  CloseAction,
  CloseHandlerResult,
  DidChangeConfigurationNotification,
  ErrorAction,
  ErrorHandler,
  ErrorHandlerResult,
  LanguageClient,
  LanguageClientOptions,
  RevealOutputChannelOn,
  ServerOptions,
  TransportKind,
} from "vscode-languageclient/node";

/** Restarts allowed within RESTART_WINDOW_MS before margin gives up. */
const MAX_RESTARTS = 4;
const RESTART_WINDOW_MS = 3 * 60 * 1000;

/** The settings passed to the server: VS Code's name (under `margin.`), the server's. */
const SERVER_SETTINGS: ReadonlyArray<[string, string]> = [
  ["select", "select"],
  ["ignore", "ignore"],
  ["extendSelect", "extend-select"],
  ["extendIgnore", "extend-ignore"],
  ["docstringStyle", "docstring-style"],
  ["targetVersion", "target-version"],
  ["review.base", "review.base"],
  ["review.show", "review.show"],
];

let output: vscode.OutputChannel;
let client: LanguageClient | undefined;
/** Serialises starts and stops (a restart while starting, a setting changed twice). */
let queue: Promise<unknown> = Promise.resolve();

/**
 * margin's settings as the server reads them: only those set in VS Code
 * (user or workspace settings), so that pyproject.toml's
 * `[tool.margin]` decides the rest. An empty list or string counts as unset.
 */
function serverSettings(): Record<string, unknown> {
  const cfg = vscode.workspace.getConfiguration("margin");
  const out: Record<string, unknown> = {};
  for (const [key, name] of SERVER_SETTINGS) {
    const i = cfg.inspect(key);
    const set =
      i !== undefined &&
      [
        i.globalValue,
        i.workspaceValue,
        i.workspaceFolderValue,
        i.globalLanguageValue,
        i.workspaceLanguageValue,
        i.workspaceFolderLanguageValue,
      ].some((v) => v !== undefined);
    const value = cfg.get<unknown>(key);
    if (!set || value === null || value === "" || (Array.isArray(value) && value.length === 0)) {
      continue;
    }
    out[name] = value;
  }
  return out;
}

function log(message: string): void {
  output.appendLine(`[margin ${new Date().toISOString().slice(11, 23)}] ${message}`);
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (dir !== "" && isExecutable(path.join(dir, name))) {
      return path.join(dir, name);
    }
  }
  return undefined;
}

type Resolved = { exe: string; how: string } | { error: string };

/** margin.path if set; else the binary bundled in the .vsix; else `margin` on PATH. */
function resolveServer(extensionPath: string): Resolved {
  let configured = (vscode.workspace.getConfiguration("margin").get<string>("path") ?? "").trim();
  if (configured !== "") {
    if (configured === "~" || configured.startsWith("~/")) {
      configured = path.join(os.homedir(), configured.slice(1));
    }
    const exe = configured.includes("/") ? path.resolve(configured) : onPath(configured);
    if (exe !== undefined && isExecutable(exe)) {
      return { exe, how: "margin.path" };
    }
    return {
      error:
        `margin.path is set to '${configured}', which is not an executable file. ` +
        "Set margin.path to the margin binary (the output of `command -v margin`), or clear it to use margin from PATH.",
    };
  }
  const bundled = path.join(extensionPath, "bin", `${process.platform}-${process.arch}`, "margin");
  if (fs.existsSync(bundled)) {
    try {
      // A .vsix is a zip file: make sure the bundled binary kept its mode.
      fs.chmodSync(bundled, 0o755);
    } catch {
      // Read-only extension folder: try it as it is.
    }
    if (isExecutable(bundled)) {
      return { exe: bundled, how: "bundled with the extension" };
    }
  }
  const found = onPath("margin");
  if (found !== undefined) {
    return { exe: found, how: "found on PATH" };
  }
  return {
    error:
      "The margin language server was not found: this extension has no margin binary for " +
      `${process.platform}-${process.arch}, and there is no 'margin' on PATH. ` +
      "Install margin (so that `margin version` works in a shell), or set margin.path to the margin binary.",
  };
}

/**
 * Runs `margin version` first: a binary that cannot run at all (missing
 * libraries, another architecture, not margin) is reported once, with its
 * own error, rather than through the client's failed starts and restarts.
 */
function probe(exe: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    cp.execFile(exe, ["version"], { timeout: 10000, encoding: "utf8" }, (err, stdout, stderr) => {
      if (err === null && /^margin \S+/.test(stdout)) {
        resolve(undefined);
        return;
      }
      const detail = (stderr || "").trim().split("\n")[0] || (err ? err.message : `it printed '${stdout.trim()}'`);
      resolve(detail);
    });
  });
}

/** Restarts after a crash, up to MAX_RESTARTS times in three minutes; then says so. */
class RestartingErrorHandler implements ErrorHandler {
  private restarts: number[] = [];
  /** Set when the client is given up on: no more restarts, and no messages. */
  stopped = false;

  error(_error: Error, _message: unknown, count: number | undefined): ErrorHandlerResult {
    return { action: count !== undefined && count <= 3 ? ErrorAction.Continue : ErrorAction.Shutdown };
  }

  closed(): CloseHandlerResult {
    if (this.stopped) {
      return { action: CloseAction.DoNotRestart, handled: true };
    }
    const now = Date.now();
    this.restarts = this.restarts.filter((t) => now - t < RESTART_WINDOW_MS);
    if (this.restarts.length < MAX_RESTARTS) {
      this.restarts.push(now);
      return {
        action: CloseAction.Restart,
        message: `margin stopped unexpectedly: restarting it (${this.restarts.length} of ${MAX_RESTARTS})`,
        handled: true,
      };
    }
    const message =
      `The margin server stopped unexpectedly ${MAX_RESTARTS + 1} times in three minutes ` +
      "and will not be restarted. Its log is in the output channel 'margin'.";
    void vscode.window.showErrorMessage(message, "Show Log", "Restart").then((choice) => {
      if (choice === "Show Log") {
        output.show(true);
      } else if (choice === "Restart") {
        void vscode.commands.executeCommand("margin.restart");
      }
    });
    // (The client logs the message; the notification above has the buttons.)
    return { action: CloseAction.DoNotRestart, message, handled: true };
  }
}

async function showMissing(message: string): Promise<void> {
  log(message);
  const choice = await vscode.window.showErrorMessage(message, "Open Settings", "Show Log");
  if (choice === "Open Settings") {
    await vscode.commands.executeCommand("workbench.action.openSettings", "margin.path");
  } else if (choice === "Show Log") {
    output.show(true);
  }
}

async function start(context: vscode.ExtensionContext): Promise<void> {
  const resolved = resolveServer(context.extensionPath);
  if ("error" in resolved) {
    void showMissing(resolved.error);
    return;
  }
  log(`starting ${resolved.exe} lsp --stdio (${resolved.how})`);
  const broken = await probe(resolved.exe);
  if (broken !== undefined) {
    void showMissing(
      `margin (${resolved.exe}, ${resolved.how}) does not run: ${broken}. ` +
        (resolved.how === "bundled with the extension"
          ? "The bundled binary needs the libraries it was built against (libtree-sitter0, libjansson4, libuv1 on Debian 12): install them, or install margin and set margin.path."
          : "Check that `margin version` runs in a shell, or set margin.path to a margin that does."),
    );
    return;
  }
  const serverOptions: ServerOptions = {
    command: resolved.exe,
    args: ["lsp"], // the client appends --stdio
    transport: TransportKind.stdio,
  };
  const handler = new RestartingErrorHandler();
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: "file", language: "python" }],
    outputChannel: output,
    revealOutputChannelOn: RevealOutputChannelOn.Never,
    // Read again at each (re)start: the settings as they are then.
    initializationOptions: () => ({ margin: serverSettings() }),
    errorHandler: handler,
    middleware: {
      // margin answers documentSymbol for other editors; VS Code's outline
      // already comes from the Python extension.
      provideDocumentSymbols: () => undefined,
    },
  };
  const c = new LanguageClient("margin", "margin", serverOptions, clientOptions);
  client = c;
  try {
    await c.start();
    log(`started: ${c.initializeResult?.serverInfo?.name ?? "margin"} ${c.initializeResult?.serverInfo?.version ?? ""}`);
  } catch (err) {
    // It ran `margin version` but failed to start as a server.
    handler.stopped = true;
    client = undefined;
    const message =
      `margin (${resolved.exe}) could not be started: ${err instanceof Error ? err.message : String(err)}. ` +
      "Its log is in the output channel 'margin'; margin: Restart Server tries again.";
    await c.dispose().catch(() => undefined);
    void showMissing(message);
  }
}

async function stop(): Promise<void> {
  const c = client;
  client = undefined;
  if (c !== undefined) {
    try {
      await c.stop(2000);
    } catch (err) {
      log(`stopping the server: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

function enqueue(work: () => Promise<void>): Promise<void> {
  const next = queue.then(work, work);
  queue = next.catch(() => undefined);
  return next;
}

async function fixAll(): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (editor === undefined || editor.document.languageId !== "python") {
    void vscode.window.showInformationMessage("margin: Fix All works on a Python file: open one first.");
    return;
  }
  if (client === undefined || !client.isRunning()) {
    void vscode.window.showWarningMessage("margin: the server is not running (margin: Restart Server).");
    return;
  }
  await vscode.commands.executeCommand("editor.action.codeAction", {
    kind: "source.fixAll.margin",
    apply: "first",
  });
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel("margin");
  context.subscriptions.push(
    output,
    vscode.commands.registerCommand("margin.restart", () => enqueue(async () => {
      await stop();
      await start(context);
    })),
    vscode.commands.registerCommand("margin.fixAll", fixAll),
    vscode.commands.registerCommand("margin.showLog", () => output.show(true)),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration("margin.path")) {
        log("margin.path changed: restarting the server");
        void vscode.commands.executeCommand("margin.restart");
      } else if (SERVER_SETTINGS.some(([key]) => e.affectsConfiguration(`margin.${key}`))) {
        void enqueue(async () => {
          if (client?.isRunning()) {
            const settings = serverSettings();
            log(`settings changed: ${JSON.stringify(settings)}`);
            await client.sendNotification(DidChangeConfigurationNotification.type, {
              settings: { margin: settings },
            });
          }
        });
      }
    }),
    { dispose: () => void stop() },
  );
  await enqueue(() => start(context));
}

export function deactivate(): Promise<void> {
  return enqueue(stop);
}

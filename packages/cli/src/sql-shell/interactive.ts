// The interactive shell on a terminal: node:readline for editing and history, the prompt
// from the session, Ctrl-C to cancel the running statement (or drop the typed one), Ctrl-D
// to leave. All statement and meta-command handling is the session's.
import { readFile, writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import type { ShellSession } from './shell-session.js';
import type { SqlExecutor } from './sql-executor.js';

/** Lines kept in the history file and in memory. */
export const HISTORY_LINES_MAX = 500;

export interface InteractiveOptions {
  readonly session: ShellSession;
  readonly executor: SqlExecutor;
  readonly input: NodeJS.ReadableStream;
  readonly output: NodeJS.WritableStream;
  /** Where history persists between sessions; undefined keeps it in memory only. */
  readonly historyPath: string | undefined;
}

/** Reads the history file (oldest line first) into readline's order (newest first). */
export function parseHistory(text: string): string[] {
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  return lines.reverse().slice(0, HISTORY_LINES_MAX);
}

/** readline's history (newest first) as file text, oldest first, bounded. */
export function formatHistory(history: readonly string[]): string {
  const kept = history.slice(0, HISTORY_LINES_MAX).reverse();
  return kept.length === 0 ? '' : `${kept.join('\n')}\n`;
}

async function loadHistory(path: string | undefined): Promise<string[]> {
  if (path === undefined) return [];
  try {
    return parseHistory(await readFile(path, 'utf8'));
  } catch {
    return []; // No history yet (or unreadable): start empty rather than refuse to run.
  }
}

async function saveHistory(path: string | undefined, history: readonly string[]): Promise<void> {
  if (path === undefined) return;
  // 0600: statements typed at the prompt can hold passwords (ALTER USER … IDENTIFIED BY).
  await writeFile(path, formatHistory(history), { mode: 0o600 }).catch(() => undefined);
}

/** Runs until \q or end of input; returns 'quit' for \q and 'eof' for Ctrl-D. */
export async function runInteractive(options: InteractiveOptions): Promise<'quit' | 'eof'> {
  const { session, executor, output } = options;
  let history = await loadHistory(options.historyPath);
  const lines = createInterface({
    input: options.input,
    output,
    terminal: true,
    history,
    historySize: HISTORY_LINES_MAX,
    removeHistoryDuplicates: true,
  });
  lines.on('history', (latest: string[]) => {
    history = latest;
  });
  lines.on('SIGINT', () => {
    if (session.busy) {
      // The server answers with "canceling statement due to user request", printed as an error.
      void executor.cancel();
      return;
    }
    session.clearInput();
    output.write('\n');
    lines.setPrompt(session.prompt());
    lines.prompt();
  });
  let ending: 'quit' | 'eof' = 'eof';
  try {
    lines.setPrompt(session.prompt());
    lines.prompt();
    for await (const line of lines) {
      if ((await session.handleLine(line)) === 'quit') {
        ending = 'quit';
        break;
      }
      lines.setPrompt(session.prompt());
      lines.prompt();
    }
    if (ending === 'eof') output.write('\\q\n');
  } finally {
    lines.close();
    await saveHistory(options.historyPath, history);
  }
  return ending;
}

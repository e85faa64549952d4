// Blocks a running Node process's event loop from outside, through the inspector it opens on SIGUSR1.
// Nothing in the product takes part: the process only has to be started with `--inspect-port`.
import WebSocket from 'ws';

/** NODE_OPTIONS for a process whose inspector (opened by SIGUSR1) listens on `port` of loopback. */
export function inspectableOn(port: number): Record<string, string> {
  return { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --inspect-port=127.0.0.1:${port}`.trim() };
}

async function debuggerUrl(port: number, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let answer: string | undefined;
    try {
      answer = await (await fetch(`http://127.0.0.1:${port}/json/list`)).text();
      const targets = JSON.parse(answer) as { webSocketDebuggerUrl?: string }[];
      const url = targets[0]?.webSocketDebuggerUrl;
      if (url) return url;
    } catch (error) {
      if (Date.now() > deadline) {
        const other =
          answer === undefined
            ? ''
            : ` (something else answers there: ${JSON.stringify(answer.slice(0, 80))})`;
        throw new Error(`no inspector on port ${port}${other}`, { cause: error });
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Opens the inspector of process `pid` (SIGUSR1; it listens on `port`, see {@link inspectableOn}),
 * then evaluates a busy loop of `ms` milliseconds on its main thread: its event loop runs nothing
 * else meanwhile (no timer, no socket read or write, no heartbeat). Resolves with the time the
 * loop really held the thread, measured inside the process, once it has let go.
 */
export async function blockEventLoop(pid: number, port: number, ms: number): Promise<number> {
  process.kill(pid, 'SIGUSR1');
  const socket = new WebSocket(await debuggerUrl(port, 10_000));
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('open', resolve);
      socket.once('error', reject);
    });
    type Reply = { id?: number; result?: { result?: { value?: unknown } }; error?: unknown };
    const answer = new Promise<Reply>((resolve, reject) => {
      socket.on('message', (data: Buffer) => {
        const message = JSON.parse(data.toString()) as Reply;
        if (message.id === 1) resolve(message);
      });
      socket.once('close', () => reject(new Error('the inspector closed before answering')));
    });
    socket.send(
      JSON.stringify({
        id: 1,
        method: 'Runtime.evaluate',
        params: {
          expression: `(() => { const start = Date.now(); while (Date.now() - start < ${ms}); return Date.now() - start; })()`,
          returnByValue: true,
        },
      }),
    );
    const reply = await answer;
    const value = reply.result?.result?.value;
    if (typeof value !== 'number') throw new Error(`the busy loop did not run: ${JSON.stringify(reply)}`);
    return value;
  } finally {
    socket.close();
  }
}

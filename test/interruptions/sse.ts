/** Reads the gateway's live stream (/api/events, server-sent events) as a signed-in user. */
export interface LiveStream {
  // biome-ignore lint/suspicious/noExplicitAny: event payloads of every kind, read loosely by tests
  events: { name: string; data: any; at: number }[];
  close(): void;
}

export async function openLiveStream(url: string, token: string): Promise<LiveStream> {
  const ac = new AbortController();
  const res = await fetch(`${url}/api/events`, {
    headers: { authorization: `Bearer ${token}` },
    signal: ac.signal,
  });
  if (res.status !== 200 || !res.body) throw new Error(`live stream: ${res.status}`);
  const events: LiveStream['events'] = [];
  let hello: () => void = () => undefined;
  const ready = new Promise<void>((r) => {
    hello = r;
  });
  void (async () => {
    const decoder = new TextDecoder();
    let buf = '';
    try {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buf += decoder.decode(chunk, { stream: true });
        for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          let name = 'message';
          let data = '';
          for (const line of block.split('\n')) {
            if (line.startsWith('event:')) name = line.slice(6).trim();
            else if (line.startsWith('data:')) data += line.slice(5).trim();
          }
          if (name === 'hello') hello();
          events.push({ name, data: data ? JSON.parse(data) : null, at: performance.now() });
        }
      }
    } catch {
      // aborted
    }
  })();
  await ready;
  return { events, close: () => ac.abort() };
}

// Server-sent events as OpenAI-compatible servers stream them: `data: <json>` lines separated by
// blank lines, ending with `data: [DONE]` (WHATWG HTML, "Server-sent events", §9.2.6 parsing;
// only the `data` field matters here, comments and other fields are skipped).

/** Yields the `data` payload of each event in a byte stream (multi-line data joined by "\n"). */
export async function* sseData(
  body: ReadableStream<Uint8Array>,
  signal?: AbortSignal,
): AsyncIterable<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let data: string[] = [];
  const onAbort = () => void reader.cancel().catch(() => {});
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      let nl = buffer.search(/\r\n|\r|\n/);
      while (nl >= 0) {
        // A CR at the end of the buffer may be the first half of a CRLF: wait for the next bytes.
        if (!done && nl === buffer.length - 1 && buffer[nl] === '\r') break;
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + (buffer.startsWith('\r\n', nl) ? 2 : 1));
        if (line === '') {
          if (data.length > 0) yield data.join('\n');
          data = [];
        } else if (line.startsWith('data:')) {
          data.push(line.slice(line.startsWith('data: ') ? 6 : 5));
        }
        nl = buffer.search(/\r\n|\r|\n/);
      }
      if (done) break;
    }
    // A last event without its blank line still counts (some servers omit it before closing).
    if (buffer.startsWith('data:')) data.push(buffer.slice(buffer.startsWith('data: ') ? 6 : 5));
    if (data.length > 0) yield data.join('\n');
  } finally {
    signal?.removeEventListener('abort', onAbort);
    reader.releaseLock();
  }
}

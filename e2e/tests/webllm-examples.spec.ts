// WebLLM's own example apps (copied into e2e/webllm-examples/ with two marked edits: the import
// and the model id) run on @ruminate/web-llm in headless Chromium, on the random-weight ASCII
// chat fixture. Each test asserts what the example itself checks or prints: the seed example's
// identical choices, multi-round chat prefilling less the second time, streamed deltas that
// make the final message, usage on the last chunk, the web-worker engine.
import { expect, type Page, test } from '@playwright/test';
import { asciiChatFixture } from '../../tools/fixtures/ascii-chat-fixture.ts';

/** One console.log call: its text and its arguments as JSON values. */
interface Logged {
  text: string;
  args: unknown[];
}

/** Opens an example page and records its console, uncaught errors and failed requests. */
async function openExample(page: Page, path: string) {
  const logs: Logged[] = [];
  const problems: string[] = [];
  const pending: Promise<void>[] = [];
  page.on('console', (m) => {
    // A failed request is reported with its URL below (the browser's own favicon request excepted).
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(m.text());
    pending.push(
      Promise.all(m.args().map((a) => a.jsonValue().catch(() => undefined))).then((args) => {
        logs.push({ text: m.text(), args });
      }),
    );
  });
  page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`));
  page.on('response', (r) => {
    if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) problems.push(`${r.status()} ${r.url()}`);
  });
  await page.goto(`/e2e/webllm-examples/${path}`);
  /** Waits until a log line starting with `prefix` (and `after` more lines) has been printed; fails at the first problem (a hang: at the test's timeout). */
  const until = async (prefix: string, after = 0) => {
    for (;;) {
      await Promise.all(pending);
      expect(problems).toEqual([]);
      const i = logs.findIndex((l) => l.text.startsWith(prefix));
      if (i >= 0 && logs.length > i + after) return;
      await page.waitForTimeout(250);
    }
  };
  return { logs, problems, until };
}

/** Arguments of the log lines that are objects of `kind` (`chat.completion`, `chat.completion.chunk`). */
function objects<T>(logs: Logged[], kind: string): T[] {
  return logs.flatMap((l) => l.args).filter((a) => (a as { object?: string })?.object === kind) as T[];
}

interface Reply {
  choices: { message: { content: string }; finish_reason: string }[];
  usage: { prompt_tokens: number; completion_tokens: number; extra: Record<string, number> };
}

interface Chunk {
  choices: { delta: { content?: string }; finish_reason: string | null }[];
  usage?: Reply['usage'];
}

test.beforeAll(async () => {
  await asciiChatFixture(); // written into .cache/fixtures/, served at /fixtures/
});

test('seed-to-reproduce: the same seed gives the same three choices twice', async ({ page }) => {
  const { logs, problems, until } = await openExample(page, 'seed-to-reproduce/seed.html');
  await until("Second reply's last choice:", 1);
  expect(problems).toEqual([]); // the example throws when a choice differs
  const [reply0, reply1] = objects<Reply>(logs, 'chat.completion');
  expect(reply0?.choices).toHaveLength(3);
  expect(reply1?.choices.map((c) => c.message.content)).toEqual(
    reply0?.choices.map((c) => c.message.content),
  );
  expect(new Set(reply0?.choices.map((c) => c.message.content)).size).toBeGreaterThan(1);
  const last = logs.find((l) => l.text.startsWith("First reply's last choice:"))?.text;
  expect(last).toBe(`First reply's last choice:\n${reply0?.choices[2]?.message.content}`);
  for (const key of [
    'prefill_tokens_per_s',
    'decode_tokens_per_s',
    'time_to_first_token_s',
    'e2e_latency_s',
  ]) {
    expect(reply0?.usage.extra[key]).toBeGreaterThan(0);
  }
  await expect(page.locator('#init-label')).toContainText('Finish loading');
});

test('multi-round-chat: the second round prefills fewer tokens than the first', async ({ page }) => {
  const { logs, problems, until } = await openExample(page, 'multi-round-chat/multi_round_chat.html');
  await until('Requset 1 prompt tokens: ');
  expect(problems).toEqual([]); // the example throws "Multi-round chat is not triggered as expected."
  const tokens = (round: number) =>
    logs.find((l) => l.text.startsWith(`Requset ${round} prompt tokens: `))?.args[1] as number;
  expect(tokens(0)).toBeGreaterThan(0);
  expect(tokens(1)).toBeGreaterThan(0);
  expect(tokens(1)).toBeLessThanOrEqual(tokens(0));
  const [reply0, reply1] = objects<Reply>(logs, 'chat.completion');
  expect(reply0?.usage.prompt_tokens).toBe(tokens(0));
  expect(reply1?.usage.prompt_tokens).toBe(tokens(1));
});

/** Checks a streaming example's log: deltas, one finish chunk, usage last, and the final message. */
async function expectStreamed(page: Page, logs: Logged[]) {
  const chunks = objects<Chunk>(logs, 'chat.completion.chunk');
  const finish = chunks.filter((c) => c.choices[0]?.finish_reason);
  expect(finish).toHaveLength(1);
  expect(finish[0]?.choices[0]?.finish_reason).toMatch(/^(stop|length)$/);
  const usage = chunks.filter((c) => c.usage);
  expect(usage).toHaveLength(1);
  expect(chunks.at(-1)).toBe(usage[0]); // "only last chunk has usage"
  expect(usage[0]?.usage?.completion_tokens).toBeGreaterThan(0);
  const message = chunks.map((c) => c.choices[0]?.delta?.content || '').join('');
  const final = logs.find((l) => l.text.startsWith('Final message:'));
  expect(final?.args[1]).toBe(message);
  // Deltas (as many as the random model's reply has: it may end after one token), then the finish chunk.
  expect(chunks.indexOf(finish[0] as Chunk)).toBe(chunks.length - 2);
  // What setLabel wrote (innerText), modulo the whitespace that layout collapses.
  // biome-ignore lint/performance/useDomNodeTextContent: the example writes innerText (newlines become <br>)
  const label = await page.locator('#generate-label').evaluate((el) => (el as HTMLElement).innerText);
  const squash = (s: string) => s.replace(/\s+/g, ' ').trim();
  expect(squash(label)).toBe(squash(message));
}

test('streaming: deltas make the final message, usage comes on the last chunk', async ({ page }) => {
  const { logs, problems, until } = await openExample(page, 'streaming/streaming.html');
  await until('Final message:');
  expect(problems).toEqual([]);
  await expectStreamed(page, logs);
});

test('get-started-web-worker: the engine runs in the example worker and streams to the page', async ({
  page,
}) => {
  const { logs, problems, until } = await openExample(page, 'get-started-web-worker/get_started.html');
  await until('Final message:');
  expect(problems).toEqual([]);
  await expectStreamed(page, logs);
  expect(page.workers().some((w) => /worker/.test(w.url()))).toBe(true);
  await expect(page.locator('#init-label')).toContainText('Finish loading');
});

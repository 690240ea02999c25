// The prompt side of `thinking: 'off' | 'on' | { maxTokens }` for models with a thinking section
// (`<think>…</think>`, qwen3). The chat template gets `enable_thinking`; with thinking off the
// prompt must end with an empty, closed section (qwen3's template writes one; for a template that
// does not, or a plain prompt, it is appended — the NoThinking prompt of Ma et al. 2025, "Reasoning
// Models Can Be Effective Without Thinking"). A budget becomes a ThinkingControl for the generator,
// which closes the section by force at the budget.

import { RuminateError } from '@ruminate/errors';
import type { ChatMessage, Engine } from '@ruminate/runtime';
import type { ThinkingControl } from '../generator/thinking-budget.ts';

/** Whether and how long the model may think: the request's `thinking` field. */
export type ThinkingMode = 'off' | 'on' | { maxTokens: number };

const OPEN = '<think>';
const CLOSE = '</think>';
/** What ends a thinking section, forced or empty. */
const CLOSING = '\n</think>\n\n';
/** An empty thinking section, as qwen3's template writes it with `enable_thinking: false`. */
const EMPTY = '<think>\n\n</think>\n\n';

/** A prompt and the thinking control its generation runs under. */
export interface ThinkingPrompt {
  /** Prompt token ids. */
  tokens: number[];
  /** The budget's control, when the mode is `{ maxTokens }`. */
  control?: ThinkingControl;
}

/** Throws `invalid-argument` on `thinking` unless it is 'off', 'on' or { maxTokens ≥ 0 }. */
export function validateThinking(mode: unknown): void {
  if (mode === undefined || mode === 'off' || mode === 'on') return;
  const m = mode as { maxTokens?: unknown };
  if (
    typeof mode === 'object' &&
    mode !== null &&
    typeof m.maxTokens === 'number' &&
    Number.isInteger(m.maxTokens) &&
    m.maxTokens >= 0
  )
    return;
  throw new RuminateError(
    'invalid-argument',
    `thinking must be 'off', 'on' or { maxTokens: a non-negative integer } (got ${JSON.stringify(mode)}).`,
    { field: 'thinking' },
  );
}

async function singleToken(engine: Engine, text: string): Promise<boolean> {
  return (await engine.tokenize(text, { special: true })).length === 1;
}

/** Renders the prompt for a thinking mode and builds the budget's control; throws `invalid-argument` for a model without `<think>`. */
export async function thinkingPrompt(
  engine: Engine,
  source: { messages?: ChatMessage[]; prompt?: string; promptTokens?: number[]; tools?: readonly unknown[] },
  mode: ThinkingMode,
): Promise<ThinkingPrompt> {
  if (typeof mode === 'object' && mode.maxTokens === 0) return thinkingPrompt(engine, source, 'off');
  const hasSection = (await singleToken(engine, OPEN)) && (await singleToken(engine, CLOSE));
  const render = async () => {
    if (source.promptTokens) return [...source.promptTokens];
    if (source.messages)
      return engine.applyChatTemplate(source.messages, {
        addGenerationPrompt: true,
        variables: { ...(source.tools ? { tools: source.tools } : {}), enable_thinking: mode !== 'off' },
      });
    return engine.tokenize(source.prompt ?? '', { addBos: true });
  };
  if (!hasSection) {
    if (mode === 'on') return { tokens: await render() };
    throw new RuminateError(
      'invalid-argument',
      `thinking: ${JSON.stringify(mode)} needs a model with a thinking section (${OPEN} and ${CLOSE} tokens); this one has none.`,
      { field: 'thinking' },
    );
  }
  const tokens = await render();
  // The tail tells whether the template opened (or opened and closed) a section already.
  const tail = await engine.detokenize(tokens.slice(-16));
  const opened = tail.lastIndexOf(OPEN);
  const closed = tail.lastIndexOf(CLOSE);
  const startsOpen = opened >= 0 && closed < opened;
  if (mode === 'off') {
    if (closed >= 0 && closed > opened) return { tokens };
    const suffix = startsOpen ? CLOSING : EMPTY;
    return { tokens: [...tokens, ...(await engine.tokenize(suffix, { special: true }))] };
  }
  if (mode === 'on') return { tokens };
  return {
    tokens,
    control: {
      maxTokens: mode.maxTokens,
      open: OPEN,
      close: CLOSE,
      closeTokens: await engine.tokenize(CLOSING, { special: true }),
      startsOpen,
    },
  };
}

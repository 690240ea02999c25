// Multi-round chat as WebLLM does it: when a request's messages are the previous request's, its
// reply and new turns, the prompt is the previous prompt, the reply's own tokens (as the KV cache
// holds them) and the new turns' tokens — so the runtime's prefix reuse finds the whole history
// computed and only the new turns are prefilled. Anything else is templated from scratch.

import type { ChatMessage, Engine } from '@ruminate/runtime';

/** What the KV cache holds after a chat request: its prompt and the reply kept as the conversation. */
export interface ChatTurnState {
  /** The request's messages. */
  messages: ChatMessage[];
  /** Its prompt tokens. */
  prompt: number[];
  /** The kept reply's text. */
  reply: string;
  /** The kept reply's tokens (the end-of-generation token that ended it is not among them). */
  replyTokens: number[];
  /** Tokens of prompt + reply whose KV is computed (the last sampled token never is, unless it was EOS). */
  computed: number;
}

/** A chat request's prompt, and how much of it a previous turn's KV covers. */
export interface ChatPrompt {
  /** Prompt tokens. */
  tokens: number[];
  /** Leading tokens already computed by an earlier turn (reused, not prefilled). */
  reused: number;
}

function sameMessage(a: ChatMessage | undefined, b: ChatMessage | undefined): boolean {
  return a !== undefined && b !== undefined && a.role === b.role && a.content === b.content;
}

function commonPrefix(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

function sameTokens(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && commonPrefix(a, b) === a.length;
}

/** The continuation of `prev` by `messages`, or undefined when `messages` does not continue it. */
async function continuation(
  engine: Engine,
  prev: ChatTurnState,
  messages: ChatMessage[],
  full: number[],
): Promise<number[] | undefined> {
  const k = prev.messages.length;
  if (messages.length <= k + 1) return undefined;
  if (!prev.messages.every((m, i) => sameMessage(m, messages[i]))) return undefined;
  if (!sameMessage(messages[k], { role: 'assistant', content: prev.reply })) return undefined;
  if (commonPrefix(full, prev.prompt) !== prev.prompt.length) return undefined;
  // The templated text after the previous prompt: the reply as rendered, then the new turns.
  const rest = full.slice(prev.prompt.length);
  const restText = await engine.detokenize(rest);
  if (!restText.startsWith(prev.reply)) return undefined;
  // Only where text and tokens round-trip exactly (special tokens in the template's glue included).
  const [again, replyText] = await Promise.all([
    engine.tokenize(restText, { special: true, addBos: false }),
    engine.detokenize(prev.replyTokens),
  ]);
  if (!sameTokens(again, rest) || replyText !== prev.reply) return undefined;
  const suffix = await engine.tokenize(restText.slice(prev.reply.length), { special: true, addBos: false });
  return [...prev.prompt, ...prev.replyTokens, ...suffix];
}

/**
 * The prompt of a chat request: the previous turn continued when `messages` continue it, else
 * the chat template of `messages`; with how many leading tokens the previous turn computed.
 */
export async function chatPrompt(
  engine: Engine,
  messages: ChatMessage[],
  prev: ChatTurnState | undefined,
): Promise<ChatPrompt> {
  const full = await engine.applyChatTemplate(messages, { addGenerationPrompt: true });
  const tokens = (prev && (await continuation(engine, prev, messages, full))) ?? full;
  if (!prev) return { tokens, reused: 0 };
  const held = [...prev.prompt, ...prev.replyTokens].slice(0, prev.computed);
  // The runtime always computes at least the last prompt token (the next step samples from it).
  return { tokens, reused: Math.min(commonPrefix(tokens, held), tokens.length - 1) };
}

/** The state a finished request leaves: the kept choice's text and tokens (EOS is never among them) and whether EOS ended it. */
export function turnState(
  messages: ChatMessage[],
  prompt: number[],
  reply: { text: string; tokens: number[] },
  endedOnEos: boolean,
): ChatTurnState {
  // The token that ended a reply is sampled, never forwarded: after EOS every reply token is in
  // the KV cache; after a length limit all but the last.
  const n = reply.tokens.length;
  const computed = prompt.length + (endedOnEos || n === 0 ? n : n - 1);
  return { messages, prompt, reply: reply.text, replyTokens: [...reply.tokens], computed };
}

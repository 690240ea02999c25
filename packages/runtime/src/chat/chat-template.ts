// Chat templates from GGUF (`tokenizer.chat_template`, a Jinja template in the Hugging Face
// convention: variables `messages`, `add_generation_prompt`, `bos_token`, `eos_token`),
// rendered with @huggingface/jinja and tokenized with special tokens parsed.

import { Template } from '@huggingface/jinja';
import { RuminateError } from '@ruminate/errors';
import type { ChatMessage } from '../engine/types.ts';
import type { Tokenizer } from '../tokenizer/tokenizer.ts';
import { CHATML_TEMPLATE } from './chatml-template.ts';

/** Options for rendering a chat. */
export interface ChatTemplateOptions {
  /** End with the assistant turn's opening, ready for generation; default true. */
  addGenerationPrompt?: boolean;
  /**
   * What to use when the model has no chat template: `'error'` (default) throws
   * `chat-template-missing`; `'chatml'` uses CHATML_TEMPLATE; any other string is a template.
   */
  fallback?: 'error' | 'chatml' | { template: string };
  /** Extra template variables (e.g. `tools`, `enable_thinking`), passed as they are. */
  variables?: Record<string, unknown>;
}

const compiled = new Map<string, Template>();

function compile(source: string): Template {
  let t = compiled.get(source);
  if (t === undefined) {
    try {
      t = new Template(source);
    } catch (cause) {
      throw new RuminateError(
        'chat-template-failed',
        `The chat template could not be parsed (${(cause as Error).message}). Pass a corrected template as { fallback: { template } } or render the prompt yourself.`,
        { cause },
      );
    }
    if (compiled.size > 16) compiled.clear();
    compiled.set(source, t);
  }
  return t;
}

/** Picks the template to use: the model's, else the caller's fallback, else throws `chat-template-missing`. */
export function chooseChatTemplate(
  modelTemplate: string | undefined,
  fallback: ChatTemplateOptions['fallback'],
): string {
  if (modelTemplate !== undefined && modelTemplate !== '') return modelTemplate;
  if (fallback === 'chatml') return CHATML_TEMPLATE;
  if (typeof fallback === 'object') return fallback.template;
  throw new RuminateError(
    'chat-template-missing',
    'This model has no chat template (tokenizer.chat_template). Pass { fallback: "chatml" } if it was trained on ChatML, give a template with { fallback: { template } }, or tokenize a prompt yourself.',
  );
}

/** Renders `messages` to the prompt text with a Jinja chat template. */
export function renderChatTemplate(
  template: string,
  messages: readonly ChatMessage[],
  vars: {
    bosToken: string;
    eosToken: string;
    addGenerationPrompt: boolean;
    variables?: Record<string, unknown>;
  },
): string {
  const t = compile(template);
  try {
    return t.render({
      ...vars.variables,
      messages: messages.map((m) => ({ role: m.role, content: m.content })),
      add_generation_prompt: vars.addGenerationPrompt,
      bos_token: vars.bosToken,
      eos_token: vars.eosToken,
    });
  } catch (cause) {
    throw new RuminateError(
      'chat-template-failed',
      `Rendering the chat template failed: ${(cause as Error).message}. Check the messages (roles and order the template expects), or pass another template with { fallback: { template } }.`,
      { cause },
    );
  }
}

/** Renders the tokenizer's chat template for `messages` (see ChatTemplateOptions). */
export function renderChat(
  tokenizer: Tokenizer,
  messages: readonly ChatMessage[],
  opts: ChatTemplateOptions = {},
): string {
  const template = chooseChatTemplate(tokenizer.chatTemplate, opts.fallback);
  const { bosId, eosId } = tokenizer;
  return renderChatTemplate(template, messages, {
    bosToken: bosId === undefined ? '' : tokenizer.tokenText(bosId),
    eosToken: eosId === undefined ? '' : tokenizer.tokenText(eosId),
    addGenerationPrompt: opts.addGenerationPrompt ?? true,
    variables: opts.variables,
  });
}

/**
 * Token ids of the rendered chat: special tokens in the text are parsed, BOS is added when
 * the model asks for it, and a BOS the template already wrote is not doubled.
 */
export function applyChatTemplate(
  tokenizer: Tokenizer,
  messages: readonly ChatMessage[],
  opts: ChatTemplateOptions = {},
): number[] {
  const text = renderChat(tokenizer, messages, opts);
  const ids = tokenizer.encode(text, { special: true, addBos: true });
  const bos = tokenizer.bosId;
  if (bos !== undefined && tokenizer.config.addBos && ids.length >= 2 && ids[0] === bos && ids[1] === bos)
    ids.shift();
  return ids;
}

import { isRuminateError } from '@ruminate/errors';
import { describe, expect, it } from 'vitest';
import { llamaBpeVocab, qwen2Vocab, spmVocab } from '../../../tools/fixtures/vocab/index.ts';
import { applyChatTemplate, renderChat } from '../src/chat/chat-template.ts';
import { CHATML_TEMPLATE } from '../src/chat/chatml-template.ts';
import type { ChatMessage } from '../src/engine/types.ts';
import { Tokenizer } from '../src/tokenizer/tokenizer.ts';

const qwen2 = Tokenizer.fromMetadata(new Map(qwen2Vocab().metadata));
const llama3 = Tokenizer.fromMetadata(new Map(llamaBpeVocab().metadata));
const spm = Tokenizer.fromMetadata(new Map(spmVocab().metadata));
const chat: ChatMessage[] = [{ role: 'user', content: 'Hi there' }];

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return isRuminateError(e) ? e.code : `not a RuminateError: ${String(e)}`;
  }
  return undefined;
}

describe('chat templates', () => {
  it("renders the model's ChatML template with its default system message", () => {
    expect(renderChat(qwen2, chat)).toBe(
      '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n',
    );
    const withSystem: ChatMessage[] = [{ role: 'system', content: 'Be brief.' }, ...chat];
    expect(renderChat(qwen2, withSystem, { addGenerationPrompt: false })).toBe(
      '<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi there<|im_end|>\n',
    );
  });

  it('tokenizes the rendered chat with special tokens parsed', () => {
    const v = qwen2Vocab();
    const ids = applyChatTemplate(qwen2, chat);
    expect(ids[0]).toBe(v.specialIds['<|im_start|>']);
    expect(ids.filter((id) => id === v.specialIds['<|im_end|>'])).toHaveLength(2);
    expect(qwen2.decode(ids, { special: true })).toBe(renderChat(qwen2, chat));
  });

  it('passes bos_token and does not double a BOS the template already wrote', () => {
    const text = renderChat(llama3, chat);
    expect(
      text.startsWith('<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi there<|eot_id|>'),
    ).toBe(true);
    const ids = applyChatTemplate(llama3, chat);
    expect(ids[0]).toBe(llama3.bosId);
    expect(ids[1]).not.toBe(llama3.bosId);
  });

  it('throws chat-template-missing without a template, and uses a fallback only when asked', () => {
    expect(codeOf(() => renderChat(spm, chat))).toBe('chat-template-missing');
    expect(renderChat(spm, chat, { fallback: 'chatml' })).toBe(
      '<|im_start|>user\nHi there<|im_end|>\n<|im_start|>assistant\n',
    );
    expect(renderChat(spm, chat, { fallback: { template: '{{ messages[0].content }}!' } })).toBe('Hi there!');
    expect(renderChat(qwen2, chat, { fallback: { template: 'unused' } })).toContain(
      'You are a helpful assistant.',
    );
    expect(CHATML_TEMPLATE).toContain('<|im_start|>');
  });

  it('reports templates that fail to parse or raise as chat-template-failed', () => {
    expect(codeOf(() => renderChat(spm, chat, { fallback: { template: '{% for m in messages %}' } }))).toBe(
      'chat-template-failed',
    );
    const strict =
      "{% if messages[0]['role'] != 'system' %}{{ raise_exception('system message required') }}{% endif %}";
    expect(codeOf(() => renderChat(spm, chat, { fallback: { template: strict } }))).toBe(
      'chat-template-failed',
    );
  });

  it('passes extra variables through', () => {
    const t = '{% if enable_thinking %}think{% else %}plain{% endif %}';
    expect(renderChat(spm, chat, { fallback: { template: t }, variables: { enable_thinking: true } })).toBe(
      'think',
    );
  });
});

/** Gemma 2's chat template as its GGUF files carry it (tokenizer.chat_template): turns of user and model, no system role. */
const GEMMA_TEMPLATE =
  "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}" +
  "{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}" +
  "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}" +
  "{% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}" +
  "{{ '<start_of_turn>' + role + '\n' + message['content'] | trim + '<end_of_turn>\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{'<start_of_turn>model\n'}}{% endif %}";

/** Phi-3's chat template as its GGUF files carry it. */
const PHI3_TEMPLATE =
  "{% for message in messages %}{% if message['role'] == 'system' %}{{'<|system|>\n' + message['content'] + '<|end|>\n'}}" +
  "{% elif message['role'] == 'user' %}{{'<|user|>\n' + message['content'] + '<|end|>\n'}}" +
  "{% elif message['role'] == 'assistant' %}{{'<|assistant|>\n' + message['content'] + '<|end|>\n'}}{% endif %}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|assistant|>\n' }}{% else %}{{ eos_token }}{% endif %}";

describe('chat templates of the gemma and phi3 files', () => {
  const bos = spm.tokenText(spm.bosId as number);
  it("Gemma's: model turns, BOS first, a system message refused as chat-template-failed", () => {
    const turns: ChatMessage[] = [
      ...chat,
      { role: 'assistant', content: ' Hello! ' },
      { role: 'user', content: 'Bye' },
    ];
    expect(renderChat(spm, turns, { fallback: { template: GEMMA_TEMPLATE } })).toBe(
      `${bos}<start_of_turn>user\nHi there<end_of_turn>\n<start_of_turn>model\nHello!<end_of_turn>\n` +
        '<start_of_turn>user\nBye<end_of_turn>\n<start_of_turn>model\n',
    );
    const system: ChatMessage[] = [{ role: 'system', content: 'Be brief.' }, ...chat];
    expect(codeOf(() => renderChat(spm, system, { fallback: { template: GEMMA_TEMPLATE } }))).toBe(
      'chat-template-failed',
    );
  });
  it("Phi-3's: system, user and assistant turns closed by <|end|>", () => {
    const turns: ChatMessage[] = [{ role: 'system', content: 'Be brief.' }, ...chat];
    expect(renderChat(spm, turns, { fallback: { template: PHI3_TEMPLATE } })).toBe(
      '<|system|>\nBe brief.<|end|>\n<|user|>\nHi there<|end|>\n<|assistant|>\n',
    );
  });
});

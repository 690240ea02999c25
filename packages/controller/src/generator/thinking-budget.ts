// Thinking budgets for models with a thinking section (`<think>…</think>`, qwen3): once a branch has
// generated `maxTokens` tokens while its thinking section is still open, the generator appends the
// closing text token by token instead of sampling, and the model goes on to the answer. This is
// budget forcing (Muennighoff et al. 2025, "s1: Simple test-time scaling"); with a budget of 0 it
// becomes the empty thinking section of "Reasoning Models Can Be Effective Without Thinking"
// (Ma et al. 2025).

import type { Branch } from './branch.ts';

/** How the generator ends a thinking section at its budget. */
export interface ThinkingControl {
  /** Generated tokens a branch may spend inside its thinking section. */
  maxTokens: number;
  /** Text that opens the section (`<think>`). */
  open: string;
  /** Text that closes it (`</think>`). */
  close: string;
  /** Token ids appended to close it (the close text and a blank line after it). */
  closeTokens: readonly number[];
  /** True when the prompt itself ends inside an open thinking section. */
  startsOpen: boolean;
}

/** True while `text` (a branch's generated text) is inside an open thinking section. */
export function thinkingOpen(text: string, control: ThinkingControl): boolean {
  const opened = text.lastIndexOf(control.open);
  const closed = text.lastIndexOf(control.close);
  if (opened < 0) return control.startsOpen && closed < 0;
  return closed < opened;
}

/**
 * Queues the closing tokens on a branch whose thinking reached its budget; returns true when it did.
 * Checked once per branch, at the budget: a section the model closed itself is left alone.
 */
export function forceThinkingEnd(b: Branch, control: ThinkingControl): boolean {
  if (b.thinkingDone || b.tokens.length < control.maxTokens) return false;
  b.thinkingDone = true;
  if (!thinkingOpen(b.text, control)) return false;
  b.forced.push(...control.closeTokens);
  return true;
}

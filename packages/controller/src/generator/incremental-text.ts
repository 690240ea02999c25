// Decoding a growing token list without re-decoding all of it after every token. Equivalent to
// `detokenize(tokens)` (the text is anchored: everything before the anchor is fixed; the tail
// is decoded with a few tokens of left context, so tokenizers whose output depends on the
// neighbouring token — a SentencePiece leading space, a byte sequence split across tokens — give
// the same text). When the context check fails, it falls back to decoding the whole list.

/** Left-context tokens decoded with the tail. */
const CONTEXT = 4;
/** The anchor moves forward once the tail is this long. */
const TAIL = 32;

/** Per-branch decoding state (copied on fork). */
export interface TextState {
  /** Tokens before the anchor are decoded into `anchorText` for good. */
  anchor: number;
  /** Text of tokens[0, anchor). */
  anchorText: string;
  /** Text of tokens[max(0, anchor − CONTEXT), anchor), decoded alone. */
  contextText: string;
}

/** The state of an empty token list. */
export function emptyTextState(): TextState {
  return { anchor: 0, anchorText: '', contextText: '' };
}

/** Decodes `tokens` (which extend the list `state` was built on) and advances the anchor; returns the full text. */
export async function decodeIncremental(
  tokens: readonly number[],
  state: TextState,
  detokenize: (ids: number[]) => Promise<string>,
): Promise<string> {
  const from = Math.max(0, state.anchor - CONTEXT);
  const window = await detokenize(tokens.slice(from));
  if (!window.startsWith(state.contextText)) {
    // The context decodes differently with what followed: start over from the whole list.
    const text = await detokenize([...tokens]);
    Object.assign(state, emptyTextState());
    return text;
  }
  const text = state.anchorText + window.slice(state.contextText.length);
  if (tokens.length - state.anchor >= TAIL + CONTEXT) {
    const next = tokens.length - CONTEXT;
    const [upTo, context] = await Promise.all([
      detokenize(tokens.slice(from, next)),
      detokenize(tokens.slice(Math.max(0, next - CONTEXT), next)),
    ]);
    if (
      upTo.startsWith(state.contextText) &&
      text.startsWith(state.anchorText + upTo.slice(state.contextText.length))
    ) {
      state.anchorText += upTo.slice(state.contextText.length);
      state.anchor = next;
      state.contextText = context;
    }
  }
  return text;
}

// The structured-output attributes of <ruminate-chat>: `response-format` (JSON mode, a JSON Schema
// written inline, or the id of a <script type="application/json"> element holding one), `grammar`
// (GBNF/EBNF inline, or the id of an element holding it) and `regex`. They become the chat API's
// `response_format`, `grammar` and `regex`; the runtime enforces them while decoding.
import { type ChatCompletionRequest, RuminateError } from '@ruminate/controller';

/** Finds an element by id (the document's, in the page). */
export type ElementLookup = (id: string) => { textContent: string | null } | null;

/** The request fields the attributes ask for. */
export type ConstraintFields = Pick<ChatCompletionRequest, 'response_format' | 'grammar' | 'regex'>;

const FORMAT_TYPES = new Set(['text', 'json_object', 'json_schema', 'grammar']);

/** The text an attribute holds, or the text of the element `#id` it names (a typed error if none). */
function resolve(name: string, value: string, lookup: ElementLookup): { text: string; id?: string } {
  // "#id" is a reference; anything else (a GBNF comment "# …" included) is the value itself.
  if (!/^#[^\s#"'{}]+$/.test(value)) return { text: value };
  const id = value.slice(1);
  const found = id ? lookup(id) : null;
  if (!found) {
    throw new RuminateError(
      'invalid-argument',
      `${name}="${value}" names no element: add <script type="${name === 'grammar' ? 'text/plain' : 'application/json'}" id="${id}">…</script> to the page, or write the value inline.`,
      { field: name },
    );
  }
  return { text: found.textContent ?? '', id };
}

/**
 * Parses `response-format`: `json` (JSON mode), `text` or empty (free text), a JSON Schema as JSON
 * (inline, or `#id` of an element holding it), or a whole OpenAI `response_format` object as JSON
 * (one whose `type` is `json_object`, `json_schema`, `grammar` or `text`).
 */
export function parseResponseFormat(
  value: string | null | undefined,
  lookup: ElementLookup,
): ChatCompletionRequest['response_format'] | undefined {
  const raw = (value ?? '').trim();
  const word = raw.toLowerCase();
  if (word === '' || word === 'text') return undefined;
  if (word === 'json' || word === 'json_object' || word === 'json-object') return { type: 'json_object' };
  const { text, id } = resolve('response-format', raw, lookup);
  const where = id
    ? `The element #${id}`
    : `response-format="${raw.length > 40 ? `${raw.slice(0, 40)}…` : raw}"`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new RuminateError(
      'invalid-schema',
      `${where} is not JSON (${(e as Error).message}). Write "json" for JSON mode, a JSON Schema as JSON, or "#id" of a <script type="application/json"> holding one.`,
      { field: 'response-format', cause: e },
    );
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new RuminateError(
      'invalid-schema',
      `${where} holds ${Array.isArray(parsed) ? 'an array' : JSON.stringify(parsed)}, not a JSON Schema object like {"type": "object", …}.`,
      { field: 'response-format' },
    );
  }
  const type = (parsed as { type?: unknown }).type;
  if (typeof type === 'string' && FORMAT_TYPES.has(type)) {
    return parsed as NonNullable<ChatCompletionRequest['response_format']>;
  }
  const name = (id ?? 'response').replace(/[^A-Za-z0-9_-]/g, '_');
  return {
    type: 'json_schema',
    json_schema: { name, schema: parsed as Record<string, unknown>, strict: true },
  };
}

/** The request fields of the `response-format`, `grammar` and `regex` attributes (typed errors name the attribute). */
export function constraintAttributes(
  attr: (name: string) => string | null,
  lookup: ElementLookup,
): ConstraintFields {
  const out: ConstraintFields = {};
  const format = parseResponseFormat(attr('response-format'), lookup);
  if (format) out.response_format = format;
  const grammar = attr('grammar')?.trim();
  if (grammar) {
    const text = resolve('grammar', grammar, lookup).text;
    if (!text.trim()) {
      throw new RuminateError(
        'invalid-grammar',
        `grammar="${grammar}" is empty; write rules such as root ::= "yes" | "no".`,
        { field: 'grammar' },
      );
    }
    out.grammar = text;
  }
  const regex = attr('regex');
  if (regex) out.regex = regex;
  const given = Object.keys(out);
  if (given.length > 1) {
    throw new RuminateError(
      'invalid-argument',
      `Give at most one of response-format, grammar and regex (this element has ${given
        .map((k) => (k === 'response_format' ? 'response-format' : k))
        .join(' and ')}).`,
      { field: 'grammar' },
    );
  }
  return out;
}

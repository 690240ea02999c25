// The playground's output modes (free text, JSON mode, a JSON Schema, a grammar, a regex) and the
// request fields each adds: the chat API's response_format, grammar and regex, which the runtime
// enforces while decoding. A schema box that is not JSON is refused here with the typed error the
// API would give; what the runtime refuses comes back as a RuminateError of the codes below.
import { type ChatCompletionRequest, RuminateError } from '@ruminate/controller';

/** What the output is held to. */
export type OutputMode = 'free' | 'json' | 'json_schema' | 'grammar' | 'regex';

/** The mode picker's choices, in order, with their labels. */
export const OUTPUT_MODES: readonly [OutputMode, string][] = [
  ['free', 'free text'],
  ['json', 'JSON (any object)'],
  ['json_schema', 'JSON Schema'],
  ['grammar', 'grammar (GBNF/EBNF)'],
  ['regex', 'regular expression'],
];

/** The output settings: the mode and the text of each mode's box (kept when switching). */
export interface OutputSettings {
  mode: OutputMode;
  schema: string;
  grammar: string;
  regex: string;
}

/** Method B of the bundled model's task, as a grammar over its alphabet. */
export const METHOD_B_GRAMMAR = [
  'root ::= "B:" step ("," step)* "#" num',
  'step ::= num ("*" | "+") num "=" num',
  'num ::= [0-9]+',
].join('\n');

/** The boxes' starting texts. */
export const INITIAL_OUTPUT: OutputSettings = {
  mode: 'free',
  schema: JSON.stringify(
    {
      type: 'object',
      properties: { answer: { type: 'integer' }, method: { enum: ['A', 'B'] } },
      required: ['answer', 'method'],
    },
    null,
    2,
  ),
  grammar: METHOD_B_GRAMMAR,
  regex: '[AB]:[0-9*+=,]+#[0-9]+',
};

/** Error codes that concern the output constraint (shown beside the schema box). */
export const CONSTRAINT_ERROR_CODES: ReadonlySet<string> = new Set([
  'invalid-schema',
  'unsupported-schema',
  'invalid-grammar',
  'grammar-too-complex',
  'grammar-rejected',
  'grammar-unavailable',
]);

/** True when `e` is a RuminateError about the output constraint. */
export function isConstraintError(e: unknown): boolean {
  return CONSTRAINT_ERROR_CODES.has((e as { code?: string } | null)?.code ?? '');
}

/** The request fields of the output settings; a typed error when the box's text cannot be used. */
export function outputFields(
  o: OutputSettings,
): Pick<ChatCompletionRequest, 'response_format' | 'grammar' | 'regex'> {
  switch (o.mode) {
    case 'free':
      return {};
    case 'json':
      return { response_format: { type: 'json_object' } };
    case 'json_schema': {
      let schema: unknown;
      try {
        schema = JSON.parse(o.schema);
      } catch (e) {
        throw new RuminateError(
          'invalid-schema',
          `The JSON Schema is not JSON (${(e as Error).message}); write an object such as {"type": "object", "properties": {…}}.`,
          { field: 'response_format.json_schema.schema', cause: e },
        );
      }
      if (!schema || typeof schema !== 'object' || Array.isArray(schema)) {
        throw new RuminateError(
          'invalid-schema',
          'The JSON Schema must be a JSON object, such as {"type": "object", "properties": {…}}.',
          { field: 'response_format.json_schema.schema' },
        );
      }
      return {
        response_format: {
          type: 'json_schema',
          json_schema: { name: 'playground', schema: schema as Record<string, unknown>, strict: true },
        },
      };
    }
    case 'grammar':
      if (!o.grammar.trim())
        throw new RuminateError(
          'invalid-grammar',
          'The grammar is empty; write rules such as root ::= "yes" | "no".',
          {
            field: 'grammar',
          },
        );
      return { grammar: o.grammar };
    case 'regex':
      if (!o.regex)
        throw new RuminateError(
          'invalid-argument',
          'The regular expression is empty; write one such as [0-9]+.',
          {
            field: 'regex',
          },
        );
      return { regex: o.regex };
  }
}

/** The typed error of the output settings, or null when they make a request. */
export function outputProblem(o: OutputSettings): RuminateError | null {
  try {
    outputFields(o);
    return null;
  } catch (e) {
    return e as RuminateError;
  }
}

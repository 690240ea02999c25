// What a sequence's output may be: the constraint kinds the runtime enforces while decoding.
// The controller turns OpenAI's `response_format`, `tools` and Ruminate's `grammar` / `regex`
// request fields into one of these; the runtime compiles it against the model's vocabulary.

/** A JSON value, as a JSON Schema is written. */
export type JsonSchemaObject = { [key: string]: unknown };

/** An output shape enforced token by token (`Engine.constrain`). */
export type Constraint =
  /** Any JSON object (OpenAI's `json_object` mode). */
  | { kind: 'json_object' }
  /** JSON valid under a JSON Schema (object or its JSON text). */
  | { kind: 'json_schema'; schema: JsonSchemaObject | string }
  /** A grammar in GBNF / EBNF (llama.cpp's GBNF is accepted as written); `root` names the start rule. */
  | { kind: 'grammar'; grammar: string; root?: string }
  /** Text matching a regular expression (whole output; ECMAScript-style syntax without lookaround). */
  | { kind: 'regex'; pattern: string }
  /**
   * An XGrammar structural tag (free text with tagged, schema-constrained sections, e.g. tool
   * calls between `<tool_call>` and `</tool_call>`): `{ type: 'structural_tag', format }`.
   */
  | { kind: 'structural_tag'; tag: JsonSchemaObject };

/** How JSON is laid out when a schema or JSON mode is enforced. */
export interface JsonLayout {
  /** Separators between items and between a key and its value (default `[', ', ': ']`, one line). */
  separators?: [string, string];
}

/** What `Engine.constrain` reports about a compiled constraint. */
export interface ConstraintInfo {
  /** The constraint's kind. */
  kind: Constraint['kind'];
  /** Milliseconds spent compiling it against the vocabulary (0 when it was cached). */
  compileMs: number;
  /** True when the compiled grammar came from the engine's cache. */
  cached: boolean;
}

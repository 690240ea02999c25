// Compiles constraints against one model's vocabulary with XGrammar: the grammar (from a JSON
// Schema, GBNF/EBNF text, or a regex) and its per-state token-mask cache, which is what makes
// a mask cost tens of microseconds per step. Compiled grammars are cached by their source, so
// the N samples of a request, and later requests with the same schema, compile once.
import type {
  CompiledGrammar,
  Grammar,
  TokenizerInfo,
  GrammarCompiler as XGrammarCompiler,
} from '@mlc-ai/web-xgrammar';
import { RuminateError } from '@ruminate/errors';
import type { Tokenizer } from '../tokenizer/tokenizer.ts';
import { checkJsonSchema } from './schema-check.ts';
import type { Constraint, JsonLayout, JsonSchemaObject } from './types.ts';
import { grammarVocabulary } from './vocabulary.ts';
import { guarded, loadXgrammar, type XgrammarApi } from './xgrammar-module.ts';

/** Limits on what is compiled. */
export interface CompileLimits {
  /** Refuse a grammar whose estimated compile time exceeds this (ms; default 10 000). */
  compileTimeLimitMs?: number;
  /** Compiled grammars kept (default 32, least recently used dropped). */
  cacheSize?: number;
}

/** A compiled constraint, ready to make matchers from. */
export interface CompiledConstraint {
  /** The constraint's kind. */
  kind: Constraint['kind'];
  /** XGrammar's compiled grammar (owned by the compiler's cache). */
  compiled: CompiledGrammar;
  /** Milliseconds spent compiling (0 when cached). */
  compileMs: number;
  /** True when it came from the cache. */
  cached: boolean;
}

/**
 * Estimated compile cost per grammar rule per vocabulary token, ns. Measured with XGrammar
 * 0.1.27 in Node 20 on a 2-core AMD EPYC: 7–25 ns for JSON Schemas of 120–4000 rules at a
 * 32k vocabulary, up to 74 ns at 8k; the estimate takes the high end so a refusal is rare.
 */
const NS_PER_RULE_TOKEN = 60;

const DEFAULT_SEPARATORS: [string, string] = [', ', ': '];

/** One model's constraint compiler. */
export class ConstraintCompiler {
  private api: XgrammarApi | undefined;
  private compiler: Promise<XGrammarCompiler> | undefined;
  private info: TokenizerInfo | undefined;
  private readonly cache = new Map<string, CompiledGrammar>();
  private readonly limitMs: number;
  private readonly cacheSize: number;

  constructor(
    private readonly tokenizer: Tokenizer,
    limits: CompileLimits = {},
  ) {
    this.limitMs = limits.compileTimeLimitMs ?? 10_000;
    this.cacheSize = limits.cacheSize ?? 32;
  }

  /** XGrammar's API, loaded on first use. */
  async xgrammar(): Promise<XgrammarApi> {
    this.api ??= await loadXgrammar();
    return this.api;
  }

  /** Compiles (or takes from the cache) `constraint`; errors name what is wrong with it. */
  async compile(constraint: Constraint, layout: JsonLayout = {}): Promise<CompiledConstraint> {
    const source = this.source(constraint, layout);
    const key = JSON.stringify(source);
    const hit = this.cache.get(key);
    if (hit) {
      this.cache.delete(key);
      this.cache.set(key, hit);
      return { kind: constraint.kind, compiled: hit, compileMs: 0, cached: true };
    }
    const compiler = await this.grammarCompiler();
    const t0 = performance.now();
    const grammar = await this.grammar(source);
    this.checkCost(grammar, constraint.kind);
    const result = await guarded(() => compiler.compileGrammar(grammar));
    grammar.dispose();
    if ('error' in result) throw this.sourceError(constraint.kind, result.error);
    const compileMs = performance.now() - t0;
    this.cache.set(key, result.value);
    while (this.cache.size > this.cacheSize) {
      const [oldest, old] = this.cache.entries().next().value as [string, CompiledGrammar];
      this.cache.delete(oldest);
      old.dispose();
    }
    return { kind: constraint.kind, compiled: result.value, compileMs, cached: false };
  }

  /** Releases every compiled grammar and the compiler. */
  async dispose(): Promise<void> {
    for (const g of this.cache.values()) g.dispose();
    this.cache.clear();
    if (this.compiler) (await this.compiler).dispose();
    this.info?.dispose();
    this.compiler = undefined;
    this.info = undefined;
  }

  private grammarCompiler(): Promise<XGrammarCompiler> {
    this.compiler ??= (async () => {
      const api = await this.xgrammar();
      const v = grammarVocabulary(this.tokenizer);
      this.info = await api.TokenizerInfo.createTokenizerInfo(
        v.encoded,
        v.vocabType,
        false,
        v.encoded.length,
        v.stopTokenIds,
      );
      return api.GrammarCompiler.createGrammarCompiler(this.info, false);
    })();
    return this.compiler;
  }

  /** The checked, normalised source a constraint compiles from (also its cache key). */
  private source(c: Constraint, layout: JsonLayout): GrammarSource {
    const separators = layout.separators ?? DEFAULT_SEPARATORS;
    switch (c.kind) {
      case 'json_object':
        // Any object: the schema {"type":"object"} outside strict mode (strict would allow only `{}`).
        return { kind: 'schema', schema: '{"type":"object"}', separators, strict: false };
      case 'json_schema':
        return { kind: 'schema', schema: checkJsonSchema(c.schema), separators, strict: true };
      case 'grammar':
        if (typeof c.grammar !== 'string' || c.grammar.trim() === '') {
          throw new RuminateError('invalid-grammar', 'The grammar is empty.', { field: 'grammar' });
        }
        return { kind: 'ebnf', text: c.grammar, root: c.root ?? 'root' };
      case 'regex':
        if (typeof c.pattern !== 'string' || c.pattern === '') {
          throw new RuminateError('invalid-grammar', 'The regular expression is empty.', { field: 'regex' });
        }
        return { kind: 'regex', pattern: c.pattern };
      case 'structural_tag':
        if (c.tag === null || typeof c.tag !== 'object') {
          throw new RuminateError(
            'invalid-grammar',
            'A structural tag must be an object ({ type, format }).',
            {
              field: 'structural_tag',
            },
          );
        }
        return { kind: 'tag', tag: JSON.stringify(c.tag), separators };
      default:
        throw new RuminateError(
          'invalid-argument',
          `Unknown constraint kind ${JSON.stringify((c as { kind: unknown }).kind)}.`,
          { field: 'kind' },
        );
    }
  }

  private async grammar(s: GrammarSource): Promise<Grammar> {
    const { Grammar } = await this.xgrammar();
    const made = await guarded(() => {
      switch (s.kind) {
        case 'schema':
          return this.schemaEbnf(s.schema, s.separators, s.strict).then((ebnf) =>
            Grammar.fromEBNF(ebnf, 'root'),
          );
        case 'ebnf':
          return Grammar.fromEBNF(s.text, s.root);
        case 'regex':
          return Grammar.fromStructuralTag({
            type: 'structural_tag',
            format: { type: 'regex', pattern: s.pattern },
          });
        case 'tag':
          return this.boundTagJson(JSON.parse(s.tag), s.separators).then((tag) =>
            Grammar.fromStructuralTag(tag as Record<string, unknown>),
          );
      }
    });
    if ('error' in made) throw this.sourceError(KIND_OF_SOURCE[s.kind], made.error);
    return made.value;
  }

  /** A schema's grammar as EBNF text: one line, fixed separators, no free whitespace (a bounded, deterministic layout). */
  private async schemaEbnf(schema: string, separators: [string, string], strict: boolean): Promise<string> {
    const { Grammar } = await this.xgrammar();
    const g = await Grammar.fromJSONSchema(schema, false, -1, separators, strict);
    const text = escapeControlCharacters(g.toString());
    g.dispose();
    return text;
  }

  /**
   * A structural tag whose JSON sections are laid out as `json_schema` constraints are: XGrammar
   * writes a tag's `json_schema` content with free whitespace, which an unsure model can fill
   * forever; each becomes a `grammar` section with the schema's bounded EBNF instead.
   */
  private async boundTagJson(node: unknown, separators: [string, string]): Promise<unknown> {
    if (Array.isArray(node)) return Promise.all(node.map((n) => this.boundTagJson(n, separators)));
    if (node === null || typeof node !== 'object') return node;
    const o = node as Record<string, unknown>;
    if (o.type === 'json_schema' && 'json_schema' in o) {
      const schema = checkJsonSchema(o.json_schema as JsonSchemaObject);
      return { type: 'grammar', grammar: await this.schemaEbnf(schema, separators, true) };
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o)) out[k] = await this.boundTagJson(v, separators);
    return out;
  }

  private checkCost(grammar: Grammar, kind: Constraint['kind']): void {
    const rules = grammar
      .toString()
      .split('\n')
      .filter((l) => l.includes('::=')).length;
    const estimateMs = (rules * this.tokenizer.vocabSize * NS_PER_RULE_TOKEN) / 1e6;
    if (estimateMs > this.limitMs) {
      grammar.dispose();
      throw new RuminateError(
        'grammar-too-complex',
        `The ${kind.replace('_', ' ')} constraint compiles to ${rules} grammar rules; against this model's ` +
          `${this.tokenizer.vocabSize}-token vocabulary that would take about ${duration(estimateMs)} ` +
          `(limit ${duration(this.limitMs)}). Simplify it (fewer properties, smaller enums and ranges).`,
      );
    }
  }

  private sourceError(kind: Constraint['kind'], message: string): RuminateError {
    if (kind === 'json_schema' || kind === 'json_object') {
      return new RuminateError(
        'invalid-schema',
        `The JSON Schema was rejected by the grammar engine: ${message}`,
        {
          field: 'schema',
        },
      );
    }
    const what =
      kind === 'regex' ? 'regular expression' : kind === 'structural_tag' ? 'structural tag' : 'grammar';
    return new RuminateError('invalid-grammar', `The ${what} does not parse: ${message}`, {
      field: kind === 'grammar' ? 'grammar' : kind,
    });
  }
}

function duration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/**
 * XGrammar 0.1.27 writes a string with `maxLength` (or `minLength`) as repetitions of
 * `[^"\\\r\n]`, which admits raw control characters (U+0000–U+001F) that JSON forbids
 * unescaped (RFC 8259 §7); its unbounded strings use the right class. The bounded class is
 * narrowed to match.
 */
export function escapeControlCharacters(ebnf: string): string {
  return ebnf.replaceAll('[^\\"\\\\\\r\\n]', '[^\\0-\\x1f\\"\\\\\\r\\n]');
}

/** A constraint after checking, in the form the grammar engine takes. */
type GrammarSource =
  | { kind: 'schema'; schema: string; separators: [string, string]; strict: boolean }
  | { kind: 'ebnf'; text: string; root: string }
  | { kind: 'regex'; pattern: string }
  | { kind: 'tag'; tag: string; separators: [string, string] };

const KIND_OF_SOURCE: Record<GrammarSource['kind'], Constraint['kind']> = {
  schema: 'json_schema',
  ebnf: 'grammar',
  regex: 'regex',
  tag: 'structural_tag',
};

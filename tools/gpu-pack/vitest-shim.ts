// The part of vitest's test API the WebGPU kernel tests use, for the GPU pack: the pack carries
// no vitest, so its bundler points `vitest` here. `describe`/`it`/`test` (with `.skip`) and
// the four hooks collect into a tree that `collectedTests()` hands the runner; `expect` is
// vitest's own matchers (@vitest/expect) on chai, set up as that package's README shows, so
// an assertion means in the pack exactly what it means under vitest.

import { JestAsymmetricMatchers, JestChaiExpect, JestExtend } from '@vitest/expect';
import * as chai from 'chai';

chai.use(JestExtend);
chai.use(JestChaiExpect);
chai.use(JestAsymmetricMatchers);

/** vitest's `expect`: Jest's matchers as a chai plugin. */
export const expect = chai.expect as unknown as typeof import('vitest').expect;

/** A test body; vitest passes a context object, which these tests never read. */
type TestFn = () => unknown;
/** A hook body. */
type HookFn = () => unknown;

/** One collected test. */
export interface CollectedTest {
  /** The describe titles around it, outermost first. */
  ancestors: string[];
  title: string;
  fn: TestFn;
  /** Milliseconds before the test fails as hung (undefined: the runner's default). */
  timeoutMs: number | undefined;
  skip: boolean;
  /** Hooks that apply to it, in the order vitest runs them. */
  beforeEach: HookFn[];
  afterEach: HookFn[];
}

/** One describe block (the file itself is the root). */
interface Suite {
  title: string;
  parent: Suite | undefined;
  skip: boolean;
  beforeAll: HookFn[];
  afterAll: HookFn[];
  beforeEach: HookFn[];
  afterEach: HookFn[];
  children: (Suite | DeclaredTest)[];
}

/** A test as declared: its hooks are read from its suites when the file has been collected. */
interface DeclaredTest {
  title: string;
  fn: TestFn;
  timeoutMs: number | undefined;
  skip: boolean;
  /** Its suites, outermost (the file) first. */
  chain: Suite[];
}

/** What a test file registered, as the runner walks it. */
export interface CollectedFile {
  /** Every test in declaration order, with its suites' hooks attached. */
  tests: CollectedTest[];
  /** beforeAll hooks of every suite, outermost first (run before the first test). */
  beforeAll: HookFn[];
  /** afterAll hooks of every suite, innermost first (run after the last test). */
  afterAll: HookFn[];
}

const newSuite = (title: string, parent: Suite | undefined, skip: boolean): Suite => ({
  title,
  parent,
  skip,
  beforeAll: [],
  afterAll: [],
  beforeEach: [],
  afterEach: [],
  children: [],
});

let root = newSuite('', undefined, false);
let current = root;

function defineSuite(title: string, body: () => void, skip: boolean): void {
  const suite = newSuite(title, current, skip || current.skip);
  current.children.push(suite);
  current = suite;
  try {
    const result = body() as unknown;
    if (result instanceof Promise) {
      throw new Error(`describe("${title}") returned a promise: the pack's runner collects synchronously.`);
    }
  } finally {
    current = suite.parent as Suite;
  }
}

function defineTest(title: string, a: unknown, b: unknown, skip: boolean): void {
  // vitest accepts (name, fn, timeout | options) and (name, options, fn).
  const fn = (typeof a === 'function' ? a : b) as TestFn;
  const opts = typeof a === 'function' ? b : a;
  const timeoutMs =
    typeof opts === 'number' ? opts : ((opts as { timeout?: number } | undefined)?.timeout ?? undefined);
  const chain: Suite[] = [];
  for (let s: Suite | undefined = current; s; s = s.parent) chain.unshift(s);
  current.children.push({ title, fn, timeoutMs, skip: skip || current.skip, chain });
}

type DescribeFn = ((title: string, body: () => void) => void) & {
  skip: (title: string, body: () => void) => void;
};
type ItFn = ((title: string, a?: unknown, b?: unknown) => void) & {
  skip: (title: string, a?: unknown, b?: unknown) => void;
};

/** vitest's `describe` (and `describe.skip`). */
export const describe: DescribeFn = Object.assign(
  (title: string, body: () => void) => defineSuite(title, body, false),
  { skip: (title: string, body: () => void) => defineSuite(title, body, true) },
);

/** vitest's `it` (and `it.skip`); `timeout` or `{ timeout }` as the third argument. */
export const it: ItFn = Object.assign(
  (title: string, a?: unknown, b?: unknown) => defineTest(title, a, b, false),
  { skip: (title: string, a?: unknown, b?: unknown) => defineTest(title, a, b, true) },
);

/** vitest's `test`, the same as `it`. */
export const test = it;

/** Runs once before the first test of the enclosing suite (here: of the file). */
export function beforeAll(fn: HookFn): void {
  current.beforeAll.push(fn);
}
/** Runs once after the last test of the enclosing suite (here: of the file). */
export function afterAll(fn: HookFn): void {
  current.afterAll.push(fn);
}
/** Runs before each test of the enclosing suite. */
export function beforeEach(fn: HookFn): void {
  current.beforeEach.push(fn);
}
/** Runs after each test of the enclosing suite. */
export function afterEach(fn: HookFn): void {
  current.afterEach.push(fn);
}

/** Hands over what the imported test file registered, and starts a fresh collection. */
export function collectedTests(): CollectedFile {
  const tests: CollectedTest[] = [];
  const beforeAllHooks: HookFn[] = [];
  const afterAllHooks: HookFn[] = [];
  const walk = (s: Suite) => {
    beforeAllHooks.push(...s.beforeAll);
    for (const c of s.children) {
      if ('children' in c) walk(c);
      else
        tests.push({
          ancestors: c.chain.slice(1).map((x) => x.title),
          title: c.title,
          fn: c.fn,
          timeoutMs: c.timeoutMs,
          skip: c.skip,
          beforeEach: c.chain.flatMap((x) => x.beforeEach),
          afterEach: [...c.chain].reverse().flatMap((x) => x.afterEach),
        });
    }
    afterAllHooks.unshift(...s.afterAll);
  };
  walk(root);
  root = newSuite('', undefined, false);
  current = root;
  return { tests, beforeAll: beforeAllHooks, afterAll: afterAllHooks };
}

// Checks that llama.cpp (node-llama-cpp 3.21.1, CPU) runs the exported GGUF like PyTorch does:
// (1) its tokenization of each prompt equals the trainer's character tokenizer (BOS + one id per
// character), (2) its greedy solutions of the first N held-out problems reach an accuracy within a
// few points of PyTorch's greedy, and (3) per problem, whether its greedy text equals PyTorch's.
//
// Usage: node tools/trainer/check-llamacpp.mjs --model models/mul.gguf --eval models/mul-eval.jsonl
//          [--n 100] [--pytorch docs/eval/pytorch-mul-greedy.jsonl] [--json out.json]
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { getLlama } from 'node-llama-cpp';

// The trainer's vocabulary (tools/trainer/task.py): ids 0/1 are BOS/EOS, then one id per char.
const CHARS = '0123456789*+=,#:AB';
const BOS_ID = 0;
const EOS_ID = 1;
const MAX_NEW = 81;

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'models/mul.gguf' },
    eval: { type: 'string', default: 'models/mul-eval.jsonl' },
    n: { type: 'string', default: '100' },
    pytorch: { type: 'string' },
    json: { type: 'string' },
  },
});

const problems = readFileSync(values.eval, 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l))
  .slice(0, Number(values.n));
const reference = values.pytorch
  ? new Map(
      readFileSync(values.pytorch, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l))
        .map((r) => [r.prompt, r.text]),
    )
  : null;

const llama = await getLlama({ gpu: false, build: 'never' });
const model = await llama.loadModel({ modelPath: values.model });
// One thread: on an oversubscribed machine llama.cpp's spinning thread barriers stall.
const context = await model.createContext({ contextSize: 96, threads: 1 });

// Every vocabulary character is exactly one token, with the trainer's id.
const alphabet = model.tokenize(CHARS);
let tokenizerMismatch = JSON.stringify(alphabet) === JSON.stringify([...CHARS].map((_, i) => i + 2)) ? 0 : 1;
if (tokenizerMismatch) console.error(`tokenize(${CHARS}) = ${alphabet}`);
let correct = 0;
let sameAsPytorch = 0;
const rows = [];
for (const p of problems) {
  const ids = model.tokenize(p.prompt);
  const expected = [...p.prompt].map((c) => CHARS.indexOf(c) + 2);
  const withBos = model.tokens.bos === BOS_ID && ids[0] === BOS_ID ? ids.slice(1) : ids;
  if (JSON.stringify(withBos) !== JSON.stringify(expected)) {
    tokenizerMismatch++;
    if (tokenizerMismatch <= 3) console.error(`tokenize(${p.prompt}) = ${ids} expected ${expected}`);
  }
  const sequence = context.getSequence();
  const out = [];
  for await (const t of sequence.evaluate([BOS_ID, ...expected], { temperature: 0 })) {
    if (t === EOS_ID || out.length >= MAX_NEW) break;
    out.push(t);
  }
  sequence.dispose();
  const text = out.map((t) => (t >= 2 && t < 2 + CHARS.length ? CHARS[t - 2] : `<${t}>`)).join('');
  const m = /#(\d+)$/.exec(text);
  const answer = m ? m[1].replace(/^0+/, '') || '0' : null;
  if (answer === p.answer) correct++;
  if (reference?.get(p.prompt) === text) sameAsPytorch++;
  rows.push({ prompt: p.prompt, text, answer, correct: answer === p.answer });
}
const result = {
  model: values.model,
  problems: problems.length,
  bos: model.tokens.bos,
  eos: model.tokens.eos,
  tokenizer_mismatches: tokenizerMismatch,
  greedy_accuracy: correct / problems.length,
  same_text_as_pytorch: reference ? sameAsPytorch / problems.length : null,
};
console.log(JSON.stringify(result, null, 1));
if (values.json) writeFileSync(values.json, JSON.stringify({ ...result, rows }, null, 1));
await context.dispose();
await model.dispose();
process.exit(tokenizerMismatch === 0 ? 0 : 1);

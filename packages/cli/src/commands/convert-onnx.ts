import { parseArgs } from 'node:util';
import { convertGgufFile } from '@ruminate/transformers/convert';
import type { Command } from '../command.ts';
import { log, out } from '../log.ts';

/** `ruminate convert-onnx`: a GGUF llama-family model as the folder transformers.js loads. */
export const convertOnnxCommand: Command = {
  name: 'convert-onnx',
  summary:
    'Convert a GGUF (dense llama, qwen2, qwen3; byte-level BPE) to the ONNX folder transformers.js loads',
  usage: [
    'ruminate convert-onnx --model PATH.gguf --out DIR',
    '',
    '  writes DIR/config.json, generation_config.json, tokenizer.json, tokenizer_config.json and',
    '  onnx/model.onnx (fp32 weights dequantized from the GGUF; past_key_values.* in, present.* out)',
  ].join('\n'),
  async run(argv) {
    const { values } = parseArgs({
      args: argv,
      options: { model: { type: 'string' }, out: { type: 'string' } },
    });
    if (!values.model || !values.out) {
      log(`ruminate convert-onnx: --model and --out are required\n\n${convertOnnxCommand.usage}`);
      return 2;
    }
    await convertGgufFile(values.model, values.out);
    out(`wrote ${values.out}`);
    return 0;
  },
};

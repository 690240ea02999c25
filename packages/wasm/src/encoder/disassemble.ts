// A text listing of a module the encoder wrote: each function's locals and instructions in
// the text format's names, indented by block. It reads the binary back with the same
// instruction table the encoder writes from, so it is also the encoder's round-trip test.
import { readSleb, readUleb } from './leb128.ts';
import { OPS, type OpInfo, type ValType } from './opcodes.ts';

const VALTYPE_NAME: Record<number, ValType> = { 127: 'i32', 126: 'i64', 125: 'f32', 124: 'f64', 123: 'v128' };

const BY_CODE = new Map<string, OpInfo>();
for (const op of OPS.values()) BY_CODE.set(`${op.prefix ?? ''}:${op.code}`, op);

/** Disassembles `bytes` (a module this package encoded) into text, one instruction per line. */
export function disassemble(bytes: Uint8Array): string {
  if (bytes[0] !== 0x00 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new RangeError('Not a WebAssembly module.');
  }
  let at = 8;
  const out: string[] = [];
  const exportNames = new Map<number, string>();
  const bodies: Uint8Array[] = [];
  while (at < bytes.length) {
    const id = bytes[at++] as number;
    const [size, start] = readUleb(bytes, at);
    const end = start + size;
    if (id === 2) out.push(';; imports env.memory');
    if (id === 7) {
      let [n, p] = readUleb(bytes, start);
      for (; n > 0; n--) {
        const [len, q] = readUleb(bytes, p);
        const exportName = new TextDecoder().decode(bytes.subarray(q, q + len));
        const [index, r] = readUleb(bytes, q + len + 1);
        exportNames.set(index, exportName);
        p = r;
      }
    }
    if (id === 10) {
      let [n, p] = readUleb(bytes, start);
      for (; n > 0; n--) {
        const [len, q] = readUleb(bytes, p);
        bodies.push(bytes.subarray(q, q + len));
        p = q + len;
      }
    }
    at = end;
  }
  bodies.forEach((body, i) => {
    out.push(`(func ${exportNames.get(i) ?? `$f${i}`}`);
    out.push(...disassembleBody(body).map((l) => `  ${l}`));
    out.push(')');
  });
  return out.join('\n');
}

function disassembleBody(body: Uint8Array): string[] {
  const lines: string[] = [];
  let [groups, p] = readUleb(body, 0);
  const locals: string[] = [];
  for (; groups > 0; groups--) {
    const [count, q] = readUleb(body, p);
    const t = VALTYPE_NAME[body[q] as number] ?? '?';
    locals.push(`${count}×${t}`);
    p = q + 1;
  }
  if (locals.length > 0) lines.push(`(local ${locals.join(' ')})`);
  let depth = 0;
  const line = (text: string) => lines.push(`${'  '.repeat(depth)}${text}`);
  const blockType = () => {
    const t = body[p++] as number;
    return t === 0x40 ? '' : ` (result ${VALTYPE_NAME[t]})`;
  };
  while (p < body.length) {
    const byte = body[p++] as number;
    switch (byte) {
      case 0x02:
      case 0x03:
      case 0x04: {
        line(`${byte === 0x02 ? 'block' : byte === 0x03 ? 'loop' : 'if'}${blockType()}`);
        depth++;
        continue;
      }
      case 0x05:
        depth--;
        line('else');
        depth++;
        continue;
      case 0x0b:
        depth = Math.max(0, depth - 1);
        if (p < body.length) line('end');
        continue;
      case 0x0c:
      case 0x0d:
      case 0x10:
      case 0x20:
      case 0x21:
      case 0x22: {
        const [v, q] = readUleb(body, p);
        p = q;
        const names: Record<number, string> = {
          12: 'br',
          13: 'br_if',
          16: 'call',
          32: 'local.get',
          33: 'local.set',
          34: 'local.tee',
        };
        line(`${names[byte]} ${v}`);
        continue;
      }
      case 0x0f:
        line('return');
        continue;
      case 0x1a:
        line('drop');
        continue;
      case 0x1b:
        line('select');
        continue;
      case 0x41:
      case 0x42: {
        const [v, q] = readSleb(body, p);
        p = q;
        line(`${byte === 0x41 ? 'i32' : 'i64'}.const ${v}`);
        continue;
      }
      case 0x43: {
        const v = new DataView(body.buffer, body.byteOffset + p, 4).getFloat32(0, true);
        p += 4;
        line(`f32.const ${v}`);
        continue;
      }
    }
    let info: OpInfo | undefined;
    if (byte === 0xfd || byte === 0xfe) {
      const [code, q] = readUleb(body, p);
      p = q;
      if (byte === 0xfd && code === 0x0c) {
        const lanes = [...new Int32Array(body.slice(p, p + 16).buffer)];
        p += 16;
        line(`v128.const i32x4 ${lanes.join(' ')}`);
        continue;
      }
      info = BY_CODE.get(`${byte}:${code}`);
    } else info = BY_CODE.get(`:${byte}`);
    if (!info) {
      line(`;; unknown opcode 0x${byte.toString(16)} at ${p - 1}`);
      break;
    }
    let imm = '';
    if (info.imm === 'mem' || info.imm === 'memlane') {
      const [align, q] = readUleb(body, p);
      const [offset, r] = readUleb(body, q);
      p = r;
      imm = `${offset ? ` offset=${offset}` : ''}${align !== info.align ? ` align=${2 ** align}` : ''}`;
      if (info.imm === 'memlane') imm += ` ${body[p++]}`;
    } else if (info.imm === 'lane') imm = ` ${body[p++]}`;
    else if (info.imm === 'zero') p++;
    else if (info.imm === 'shuffle') {
      imm = ` ${[...body.subarray(p, p + 16)].join(' ')}`;
      p += 16;
    }
    line(`${info.name}${imm}`);
  }
  return lines;
}

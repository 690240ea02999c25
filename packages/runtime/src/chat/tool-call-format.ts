// How a chat template asks the model to write a tool call, read off the template itself: Qwen
// 2/2.5/3 and the Hermes family wrap a JSON object in `<tool_call>` … `</tool_call>`; templates
// without that tag (Llama 3.1's, most others) expect the bare JSON object.

/** Where a model writes its tool calls. */
export type ToolCallFormat = 'hermes' | 'json';

/** The tool-call format of a chat template. */
export function toolCallFormatOf(template: string): ToolCallFormat {
  return template.includes('<tool_call>') ? 'hermes' : 'json';
}
